// The member's session: tokens in sessionStorage, REST calls with the
// server's {status, code, message} errors, and reissue of an expired
// access token (GLOBAL_104) with the refresh token.

export const session = {
  auth: null, // {member_id, access_token, refresh_token, nickname}
  reissuing: null, // the reissue in flight, shared by every caller
  ended: () => {}, // called when the session is over (set by app.js)
};

export class ApiError extends Error {
  constructor(status, body) {
    const code = body && body.code ? body.code : `HTTP ${status}`;
    const text = body && body.message ? body.message : 'the server answered with an error';
    super(`${text} (${code})`);
    this.status = status;
    this.code = body && body.code;
  }
}

export function saveAuth(auth) {
  session.auth = auth;
  if (auth) sessionStorage.setItem('h2h.auth', JSON.stringify(auth));
  else sessionStorage.removeItem('h2h.auth');
}

export function loadAuth() {
  try {
    const a = JSON.parse(sessionStorage.getItem('h2h.auth') || 'null');
    return a && a.access_token && a.refresh_token ? a : null;
  } catch {
    return null;
  }
}

/** Seconds left before the access token expires (from its `exp` claim). */
export function tokenSecondsLeft(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part));
    return claims.exp - Date.now() / 1000;
  } catch {
    return 0;
  }
}

/** Trades the refresh token for new tokens; one request at a time. */
export function reissue() {
  if (!session.reissuing) {
    const auth = session.auth;
    session.reissuing = (async () => {
      try {
        const r = await request('POST', '/auth/reissueToken',
          { member_id: auth.member_id, refresh_token: auth.refresh_token }, false);
        saveAuth({ ...auth, access_token: r.access_token, refresh_token: r.refresh_token,
          nickname: r.nickname });
        return true;
      } catch (e) {
        if (e instanceof ApiError) session.ended('Your session has ended. Please log in again.');
        return false;
      } finally {
        session.reissuing = null;
      }
    })();
  }
  return session.reissuing;
}

// ---- REST -------------------------------------------------------------

export async function request(method, path, body, withToken = true) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (withToken && session.auth) headers.Authorization = `Bearer ${session.auth.access_token}`;
  const res = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** An authenticated call; an expired token is reissued once (GLOBAL_104). */
export async function api(method, path, body) {
  try {
    return await request(method, path, body);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'GLOBAL_104' && session.auth && await reissue())
      return request(method, path, body);
    if (e instanceof ApiError && e.code === 'GLOBAL_103') session.ended('Please log in again.');
    throw e;
  }
}
