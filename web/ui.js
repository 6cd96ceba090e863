// What every view shares: element lookup, the error banner, which view
// shows, and forms that run an action with their errors shown.
import { session } from './session.js';

export const $ = (id) => document.getElementById(id);

/** Shows an error (an ApiError says the server's message and code). */
export function showError(err) {
  const box = $('error');
  if (!err) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  box.textContent = err instanceof TypeError
    ? 'Cannot reach the server. Check your connection and try again.'
    : err.message || String(err);
  box.hidden = false;
}

/** Shows one view: auth, rooms or chat. */
export function show(view) {
  for (const v of ['auth', 'rooms', 'chat']) $(`view-${v}`).hidden = v !== view;
  $('who').hidden = view === 'auth';
  if (session.auth) $('who-name').textContent = session.auth.nickname;
}

/** Runs a form's action with its button disabled and errors shown. */
export function onSubmit(form, action) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    showError(null);
    try {
      await action();
    } catch (e) {
      showError(e);
    } finally {
      button.disabled = false;
    }
  });
}
