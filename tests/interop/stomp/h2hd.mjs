// Starts a real h2hd on 127.0.0.1:0 (SQLite in a temp dir) for the interop
// tests, and the REST calls they need: sign-up, log-in, rooms, history.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/// The password every test member signs up with.
const password = 'Passw0rd!';

/// Everything h2hd wrote to stdout and stderr, for a failing test's report.
export class Server {
  constructor(child, dir) {
    this.child = child;
    this.dir = dir;
    this.log = '';
    this.port = 0;
  }

  get http() {
    return `http://127.0.0.1:${this.port}`;
  }

  wsUrl(path) {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  /// SIGTERM, then SIGKILL after 10 s; removes the temp dir.
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/// Starts H2HD_PATH with what the account flows need (cheap password
/// hashing, a fixed JWT secret, no email code) plus `extra` arguments, and
/// waits (bounded) for its "listening on ADDR:PORT" line.
export async function startServer(extra = []) {
  const binary = process.env.H2HD_PATH;
  if (!binary) throw new Error('H2HD_PATH must name the h2hd binary');
  const dir = mkdtempSync(join(tmpdir(), 'h2h-interop-'));
  const args = [
    '--port', '0', '--bind', '127.0.0.1',
    '--metrics.port', '0', '--metrics.bind', '127.0.0.1', '--admin.port', '0',
    '--store.sqlite_path', join(dir, 'h2h.db'),
    '--auth.password_memory_kib', '8', '--auth.password_ops', '1',
    '--auth.jwt_secret', 'interop-secret-0123456789-abcdefghij',
    '--auth.require_email_verification', 'false',
    ...extra,
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const server = new Server(child, dir);
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => { server.log += s; });
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`h2hd did not start in 20 s; stdout: ${out}\nlog: ${server.log}`));
    }, 20000);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`h2hd exited (${code ?? sig}) before listening: ${server.log}`));
    });
    child.stdout.on('data', (s) => {
      out += s;
      server.log += s;
      const m = /^listening on .*:(\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        server.port = Number(m[1]);
        resolve();
      }
    });
  });
  child.removeAllListeners('exit');
  return server;
}

/// One REST call; returns { status, body } (body parsed when it is JSON).
export async function rest(server, method, path, body, token) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(server.http + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

function expectStatus(res, status, what) {
  if (res.status !== status)
    throw new Error(`${what} answered ${res.status} instead of ${status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/// Joins and logs in `nickname`; returns { id, nickname, token }.
export async function signUp(server, nickname) {
  const email = `${nickname}@example.com`;
  const joined = expectStatus(
    await rest(server, 'POST', '/auth/join', { email, name: `Name of ${nickname}`, nickname, password }),
    201, 'POST /auth/join');
  const login = expectStatus(
    await rest(server, 'POST', '/auth/login', { email, password }), 200, 'POST /auth/login');
  return { id: joined.member_id, nickname, token: login.access_token };
}

/// Creates a room owned by `member`; returns its id.
export async function createRoom(server, member, name) {
  const body = expectStatus(
    await rest(server, 'POST', '/chat/room', { name }, member.token), 201, 'POST /chat/room');
  return body.roomId;
}

/// The newest `limit` messages of a room (cursor API), newest first.
export async function history(server, member, roomId, limit = 50) {
  const before = '9223372036854775807';
  const body = expectStatus(
    await rest(server, 'GET', `/messages/room/${roomId}?before=${before}&limit=${limit}`, undefined, member.token),
    200, `GET /messages/room/${roomId}`);
  return body.messages;
}
