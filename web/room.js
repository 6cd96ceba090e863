// One room: its history (newest page, older pages on scroll) and its live
// messages over the /message WebSocket, with reconnect and lastSeq.
import { api, reissue, session, tokenSecondsLeft } from './session.js';
import { $, onSubmit, show, showError } from './ui.js';

const PAGE = 50; // history messages per request (the server allows 100)
const MAX_PENDING = 100; // unacknowledged sends kept for a resend
const MAX_SHOWN = 5000; // messages kept on screen; older ones are dropped
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

const state = {
  room: null, // {id, name}
  ws: null,
  wsGeneration: 0, // ignores events of a socket we already replaced
  lastSeq: 0, // highest seq seen in the room (for ENTER's lastSeq)
  nextBefore: null, // cursor for older history, null when there is none
  loadingOlder: false,
  shown: new Map(), // seq -> <li>
  pending: new Map(), // clientMsgId -> frame, until its ACK
  attempt: 0,
  retryTimer: null,
};

// ---- one room: history -------------------------------------------------

export function enterRoom(id, name) {
  leaveRoom();
  state.room = { id, name };
  state.lastSeq = 0;
  state.nextBefore = null;
  state.shown.clear();
  state.pending.clear();
  $('message-list').replaceChildren();
  $('room-title').textContent = name;
  $('history-status').textContent = 'Loading…';
  show('chat');
  $('message-input').focus();
  loadNewest().then(connect, (e) => {
    showError(e);
    $('history-status').textContent = '';
  }).catch(showError);
}

/** The newest page; ENTER then replays what came after it (no gap). */
async function loadNewest() {
  const room = state.room;
  const page = await api('GET', `/messages/room/${encodeURIComponent(room.id)}?limit=${PAGE}`);
  if (state.room !== room) return;
  for (const m of page.messages) addMessage(m, false);
  state.nextBefore = page.next_before;
  updateHistoryStatus();
  scrollToEnd();
  fillScreen();
}

async function loadOlder() {
  if (state.loadingOlder || state.nextBefore === null || !state.room) return;
  const room = state.room;
  state.loadingOlder = true;
  $('history-status').textContent = 'Loading older messages…';
  try {
    const page = await api('GET',
      `/messages/room/${encodeURIComponent(room.id)}?before=${state.nextBefore}&limit=${PAGE}`);
    if (state.room !== room) return;
    const box = $('messages');
    const fromBottom = box.scrollHeight - box.scrollTop;
    for (const m of page.messages) addMessage(m, false);
    box.scrollTop = box.scrollHeight - fromBottom; // keep what the reader saw in place
    state.nextBefore = page.next_before;
  } catch (e) {
    showError(e);
  } finally {
    state.loadingOlder = false;
    updateHistoryStatus();
  }
  fillScreen();
}

/** Loads older pages while the list does not fill the box (no scroll bar). */
function fillScreen() {
  const box = $('messages');
  if (state.nextBefore !== null && box.scrollHeight <= box.clientHeight) loadOlder();
}

function updateHistoryStatus() {
  $('history-status').textContent = state.nextBefore === null
    ? 'This is the beginning of the room.'
    : 'Scroll up for older messages.';
}

function scrollToEnd() {
  const box = $('messages');
  box.scrollTop = box.scrollHeight;
}

/** Shows a room event once, in seq order. */
function addMessage(m, live) {
  if (typeof m.seq !== 'number' || state.shown.has(m.seq)) return;
  const box = $('messages');
  const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const li = document.createElement('li');
  li.dataset.seq = String(m.seq);
  if (m.type === 'ENTER' || m.type === 'EXIT') {
    li.className = 'notice';
    li.textContent = m.message;
  } else {
    const who = document.createElement('span');
    who.className = 'sender';
    who.textContent = m.sender;
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = m.message;
    li.append(who, text);
  }
  if (m.ts) {
    const t = document.createElement('time');
    t.dateTime = m.ts;
    t.textContent = new Date(m.ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    li.append(t);
  }
  // Usually the newest (live) or the oldest (history): check both ends first.
  const list = $('message-list');
  let before = null;
  const last = list.lastElementChild;
  if (last && Number(last.dataset.seq) > m.seq) {
    before = list.firstElementChild;
    while (before && Number(before.dataset.seq) < m.seq) before = before.nextElementSibling;
  }
  list.insertBefore(li, before);
  state.shown.set(m.seq, li);
  state.lastSeq = Math.max(state.lastSeq, m.seq);
  while (state.shown.size > MAX_SHOWN) {
    const gone = live ? list.firstElementChild : list.lastElementChild;
    state.shown.delete(Number(gone.dataset.seq));
    gone.remove();
    if (live) state.nextBefore = Number(list.firstElementChild.dataset.seq);
  }
  if (live && atEnd) scrollToEnd();
}

// ---- one room: the WebSocket ------------------------------------------

function setStatus(text) {
  $('conn-status').textContent = text;
}

async function connect() {
  if (!state.room) return;
  const room = state.room;
  if (tokenSecondsLeft(session.auth.access_token) < 30 && !(await renewed())) return;
  if (state.room !== room) return;
  const generation = ++state.wsGeneration;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  // Browsers cannot set headers on a WebSocket: the token goes in the URL.
  const ws = new WebSocket(`${scheme}//${location.host}/message?access_token=${
    encodeURIComponent(session.auth.access_token)}`);
  state.ws = ws;
  let authProblem = null;
  setStatus('Connecting…');
  ws.onopen = () => {
    // The server handles frames after an ENTER once its replay is done, so
    // what was not acknowledged can follow at once (its clientMsgId makes a
    // resend harmless).
    ws.send(JSON.stringify({ type: 'ENTER', roomId: room.id, message: '', lastSeq: state.lastSeq }));
    for (const frame of state.pending.values()) ws.send(JSON.stringify(frame));
    setStatus('Connected');
  };
  ws.onmessage = (ev) => {
    if (generation !== state.wsGeneration) return;
    let f;
    try {
      f = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (f.type === 'ACK') {
      state.attempt = 0; // working again: the next drop starts the back-off anew
      state.pending.delete(f.clientMsgId);
    } else if (f.type === 'ERROR') {
      if (f.code === 'GLOBAL_104' || f.code === 'GLOBAL_103') authProblem = f.code;
      // CHAT_006 is "retry": a message keeps its place for the resend, a
      // refused ENTER is retried by reconnecting after the back-off.
      if (f.clientMsgId && f.code !== 'CHAT_006') state.pending.delete(f.clientMsgId);
      if (f.code === 'CHAT_006' && !f.clientMsgId) ws.close(4000);
      showError(new Error(`${f.message} (${f.code})`));
    } else if (f.roomId === room.id) {
      state.attempt = 0;
      addMessage(f, true);
    }
  };
  ws.onclose = async (ev) => {
    if (generation !== state.wsGeneration || state.room !== room) return;
    state.ws = null;
    if (authProblem === 'GLOBAL_103') {
      session.ended('Your session has ended. Please log in again.');
      return;
    }
    if (authProblem === 'GLOBAL_104' && !(await renewed())) return;
    scheduleReconnect(ev.code);
  };
}

/** Reissues the access token; when that failed but the member is still
 * signed in (the server was unreachable), tries again after the back-off. */
async function renewed() {
  if (await reissue()) return true;
  if (session.auth && state.room) scheduleReconnect();
  return false;
}

function scheduleReconnect(code) {
  const delay = BACKOFF_MS[Math.min(state.attempt, BACKOFF_MS.length - 1)];
  state.attempt += 1;
  const jittered = Math.round(delay * (0.75 + Math.random() / 2));
  setStatus(`Disconnected${code ? ` (${code})` : ''}, reconnecting in ${Math.ceil(jittered / 1000)} s…`);
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(() => { connect().catch(showError); }, jittered);
}

/** The id of the room shown, or null. */
export function currentRoomId() {
  return state.room ? state.room.id : null;
}

export function leaveRoom() {
  state.room = null;
  state.wsGeneration += 1;
  clearTimeout(state.retryTimer);
  if (state.ws) state.ws.close(1000);
  state.ws = null;
  setStatus('');
}

function newClientMsgId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function setUpChat() {
  $('messages').addEventListener('scroll', () => {
    if ($('messages').scrollTop < 60) loadOlder();
  });
  onSubmit($('send-form'), async () => {
    const input = $('message-input');
    const text = input.value;
    if (!text.trim() || !state.room) return;
    if (state.pending.size >= MAX_PENDING)
      throw new Error('Too many messages are waiting for the server; wait a moment.');
    const frame = { type: 'MESSAGE', roomId: state.room.id, message: text,
      clientMsgId: newClientMsgId() };
    state.pending.set(frame.clientMsgId, frame);
    // Sent now when connected; otherwise once the reconnect has entered.
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame));
    input.value = '';
    input.focus();
  });
}
