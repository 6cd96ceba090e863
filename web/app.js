// The chat page: accounts, the room list and navigation; one room's chat
// is room.js (docs/api.md, docs/protocol.md). User text is only ever set
// with textContent.
import { currentRoomId, enterRoom, leaveRoom, setUpChat } from './room.js';
import { ApiError, api, loadAuth, request, saveAuth, session } from './session.js';
import { $, onSubmit, show, showError } from './ui.js';

let roomPage = 0;

/** Back to the log-in view (after a logout, or when the server ended the
 * session), with `message` when there is one. */
function signedOut(message) {
  leaveRoom();
  saveAuth(null);
  history.replaceState(null, '', location.pathname);
  show('auth');
  if (message) showError(new Error(message));
}

// ---- accounts ---------------------------------------------------------

async function logIn(email, password) {
  const r = await request('POST', '/auth/login', { email, password }, false);
  saveAuth({ member_id: r.member_id, access_token: r.access_token,
    refresh_token: r.refresh_token, nickname: r.nickname });
  await route();
}

function setUpAccounts() {
  onSubmit($('login-form'), () => logIn($('login-email').value.trim(), $('login-password').value));

  onSubmit($('code-form'), async () => {
    const email = $('signup-email').value.trim();
    await request('POST', '/auth/emailVerificationCode', { email }, false);
    $('confirm-email').textContent = email;
    $('confirm-form').hidden = false;
    $('signup-code').focus();
  });

  onSubmit($('confirm-form'), async () => {
    await request('POST', '/auth/confirmVerificationCode', {
      email: $('signup-email').value.trim(), verification_code: $('signup-code').value.trim(),
    }, false);
    $('code-form').hidden = true;
    $('confirm-form').hidden = true;
    $('join-form').hidden = false;
    $('signup-name').focus();
  });

  onSubmit($('join-form'), async () => {
    const email = $('signup-email').value.trim();
    const password = $('signup-password').value;
    await request('POST', '/auth/join', {
      email, name: $('signup-name').value.trim(),
      nickname: $('signup-nickname').value.trim(), password,
    }, false);
    await logIn(email, password);
  });

  $('logout').addEventListener('click', async () => {
    try {
      await request('POST', '/auth/logout');
    } catch {
      // The session ends here either way.
    }
    signedOut();
  });
}

// ---- rooms ------------------------------------------------------------

async function showRooms() {
  leaveRoom();
  show('rooms');
  $('room-list').replaceChildren();
  roomPage = 0;
  await loadRooms();
}

async function loadRooms() {
  const rooms = await api('GET', `/chat/rooms?page=${roomPage}&size=100`);
  for (const r of rooms) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.roomId = r.roomId;
    b.textContent = r.name;
    if (r.private) {
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = 'private';
      b.append(tag);
    }
    b.addEventListener('click', () => { location.hash = roomHash(r.roomId); });
    li.append(b);
    $('room-list').append(li);
  }
  $('more-rooms').hidden = rooms.length < 100;
  if (!$('room-list').children.length) {
    const li = document.createElement('li');
    li.className = 'hint';
    li.textContent = 'No rooms yet: create one below.';
    $('room-list').append(li);
  }
}

function setUpRooms() {
  $('more-rooms').addEventListener('click', () => {
    roomPage += 1;
    loadRooms().catch(showError);
  });
  onSubmit($('create-form'), async () => {
    const room = await api('POST', '/chat/room',
      { name: $('room-name').value.trim(), private: $('room-private').checked });
    $('room-name').value = '';
    location.hash = roomHash(room.roomId);
  });
  $('back').addEventListener('click', () => { location.hash = ''; });
}

const roomHash = (id) => `#room=${encodeURIComponent(id)}`;

// ---- navigation -------------------------------------------------------

async function route() {
  showError(null);
  if (!session.auth) {
    show('auth');
    return;
  }
  const m = /^#room=(.+)$/.exec(location.hash);
  if (!m) {
    await showRooms();
    return;
  }
  const id = decodeURIComponent(m[1]);
  if (currentRoomId() === id) return;
  let name = id;
  try {
    name = (await api('GET', `/chat/room/${encodeURIComponent(id)}`)).name;
  } catch (e) {
    showError(e);
    if (e instanceof ApiError && e.status !== 400) location.hash = '';
    return;
  }
  enterRoom(id, name);
}

setUpAccounts();
setUpRooms();
setUpChat();
session.ended = signedOut;
session.auth = loadAuth();
window.addEventListener('hashchange', () => { route().catch(showError); });
route().catch(showError);
