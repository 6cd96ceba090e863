// Interoperability of h2h's STOMP endpoint (/ws, DESIGN.md §2.2) with
// @stomp/stompjs, a STOMP client nobody here wrote, over the `ws` package
// (Node has no WebSocket of its own before 22); raw `ws` clients speak STOMP
// by hand where stompjs cannot misbehave on purpose, and JSON at /message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { Client } from '@stomp/stompjs';
import WebSocket from 'ws';

import { createRoom, history, signUp, startServer } from './h2hd.mjs';

/// Every wait of this file is bounded by one of these.
const CONNECT_MS = 5000;
const DELIVERY_MS = 5000;
/// How long a check listens on after the last expected frame, to see a
/// duplicate or an unexpected frame.
const SETTLE_MS = 300;
/// The heart-beat (ms) both directions ask for in the heart-beat checks.
const HEARTBEAT_MS = 1000;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
const STOMP_PROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

let server;
let alice;
let bob;
let carol;
let counter = 0;

/// A name no earlier check used: receipts, texts.
function unique(prefix) {
  counter += 1;
  return `${prefix}-${counter}-${Date.now()}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/// `promise`, or a rejection naming `what` after `ms`.
function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/// Items arriving over time (frames, messages); waits are bounded.
class Inbox {
  constructor() {
    this.items = [];
    this.waiters = [];
  }

  push(item) {
    this.items.push(item);
    for (const w of [...this.waiters]) w();
  }

  /// Resolves with the first item after index `from` that matches `pred`.
  next(pred, what, ms = DELIVERY_MS, from = 0) {
    return within(ms, new Promise((resolve) => {
      const look = () => {
        const found = this.items.slice(from).find(pred);
        if (found === undefined) return false;
        this.waiters = this.waiters.filter((w) => w !== look);
        resolve(found);
        return true;
      };
      if (!look()) this.waiters.push(look);
    }), what);
  }

  /// Resolves once `count` items match `pred`; returns them.
  async count(pred, count, what, ms = DELIVERY_MS) {
    await within(ms, new Promise((resolve) => {
      const look = () => {
        if (this.items.filter(pred).length < count) return false;
        this.waiters = this.waiters.filter((w) => w !== look);
        resolve();
        return true;
      };
      if (!look()) this.waiters.push(look);
    }), what);
    return this.items.filter(pred);
  }
}

/// A stompjs client over a `ws` socket to /ws, with what the checks look at:
/// every frame-level event in `events`, server heart-beats in `heartbeats`.
function makeClient(connectHeaders, { heartbeat = 0 } = {}) {
  const events = new Inbox();
  const state = { heartbeats: 0, socket: null, closed: null, debug: [] };
  const client = new Client({
    webSocketFactory: () => {
      const ws = new WebSocket(server.wsUrl('/ws'), STOMP_PROTOCOLS);
      state.socket = ws;
      // A text message that is only EOLs is a server heart-beat.
      ws.on('message', (data, isBinary) => {
        if (!isBinary && /^(\r?\n)+$/.test(data.toString())) state.heartbeats += 1;
      });
      ws.on('close', (code) => {
        state.closed = { code, at: Date.now() };
        events.push({ kind: 'close', code });
      });
      return ws;
    },
    connectHeaders,
    heartbeatIncoming: heartbeat,
    heartbeatOutgoing: heartbeat,
    reconnectDelay: 0,
    debug: (msg) => {
      state.debug.push(msg);
      if (state.debug.length > 200) state.debug.shift();
    },
    onConnect: (frame) => events.push({ kind: 'connected', frame }),
    onStompError: (frame) => events.push({ kind: 'error', frame }),
    onUnhandledMessage: (frame) => events.push({ kind: 'unhandled', frame }),
  });
  return { client, events, state };
}

/// Connects `member` with its token as `Authorization: Bearer` (or as
/// `passcode` when `how` is 'passcode'); resolves with the handle once
/// CONNECTED arrived, rejects on ERROR or close.
async function connect(member, { how = 'bearer', heartbeat = 0 } = {}) {
  const headers = how === 'bearer'
    ? { Authorization: `Bearer ${member.token}` }
    : { login: member.nickname, passcode: member.token };
  const h = makeClient(headers, { heartbeat });
  h.client.activate();
  const first = await h.events.next((e) => e.kind !== 'unhandled',
    `CONNECTED for ${member.nickname} (${how})`, CONNECT_MS);
  if (first.kind !== 'connected') {
    await h.client.deactivate({ force: true });
    assert.fail(`${member.nickname} (${how}) got ${first.kind} instead of CONNECTED: `
      + JSON.stringify(first.frame?.headers ?? first));
  }
  h.connected = first.frame;
  return h;
}

/// Subscribes to a room's destination with a receipt and waits for it, so
/// that nothing sent afterwards can be missed. `extra` adds headers
/// (`last-seq`). Messages go to the returned inbox.
async function subscribe(h, roomId, extra = {}) {
  const inbox = new Inbox();
  const receipt = unique('sub');
  const got = new Promise((resolve) => h.client.watchForReceipt(receipt, resolve));
  const sub = h.client.subscribe(`/subscribe/room/${roomId}`,
    (msg) => inbox.push(msg), { receipt, ...extra });
  await within(DELIVERY_MS, got, `RECEIPT ${receipt} for SUBSCRIBE /subscribe/room/${roomId}`);
  return { sub, inbox };
}

/// SENDs a TALK to `roomId` with a receipt; resolves when the RECEIPT came.
async function talk(h, member, roomId, message) {
  const receipt = unique('send');
  const got = new Promise((resolve) => h.client.watchForReceipt(receipt, resolve));
  h.client.publish({
    destination: '/publish/message',
    headers: { receipt, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'TALK', roomId, senderId: member.id, message }),
  });
  return within(DELIVERY_MS, got, `RECEIPT ${receipt} for SEND of "${message}"`);
}

/// The parsed body of a MESSAGE frame, with §2.2's fields and headers checked.
function checkMessage(msg, { roomId, subscription, sender, text }) {
  const where = `MESSAGE ${JSON.stringify(msg.headers)} ${msg.body}`;
  assert.equal(msg.command, 'MESSAGE', where);
  assert.equal(msg.headers.destination, `/subscribe/room/${roomId}`, `destination of ${where}`);
  assert.equal(msg.headers.subscription, subscription, `subscription of ${where}`);
  assert.match(msg.headers['content-type'] ?? '', /^application\/json(;.*)?$/, `content-type of ${where}`);
  let body;
  assert.doesNotThrow(() => { body = JSON.parse(msg.body); }, `body is JSON: ${where}`);
  assert.equal(typeof body.type, 'string', `type of ${where}`);
  assert.equal(body.roomId, roomId, `roomId of ${where}`);
  assert.ok(Number.isInteger(body.seq) && body.seq > 0, `seq is a positive integer: ${where}`);
  assert.equal(msg.headers['message-id'], `${roomId}:${body.seq}`, `message-id is <roomId>:<seq>: ${where}`);
  assert.equal(typeof body.createdDate, 'string', `createdDate of ${where}`);
  assert.match(body.createdDate, ISO_8601, `createdDate is ISO 8601: ${where}`);
  assert.ok(Math.abs(Date.parse(body.createdDate) - Date.now()) < 60000,
    `createdDate is the server's time now: ${where}`);
  assert.equal(typeof body.message, 'string', `message of ${where}`);
  if (sender) {
    assert.equal(body.senderId, sender.id, `senderId of ${where}`);
    assert.equal(body.sender, sender.nickname, `sender of ${where}`);
  }
  if (text !== undefined) {
    assert.equal(body.type, 'TALK', `type of a chat message is TALK: ${where}`);
    assert.equal(body.message, text, `message of ${where}`);
  }
  return body;
}

const bodyOf = (msg) => JSON.parse(msg.body);
const isText = (text) => (msg) => { try { return bodyOf(msg).message === text; } catch { return false; } };

/// A raw WebSocket speaking STOMP by hand: frames in `frames` (parsed), and
/// `closed` once the socket ends.
function rawStomp(connectFrame) {
  const ws = new WebSocket(server.wsUrl('/ws'), ['v12.stomp']);
  const frames = new Inbox();
  const state = { ws, frames, closed: null, opened: null };
  let buffer = '';
  ws.on('message', (data) => {
    buffer += data.toString();
    for (;;) {
      buffer = buffer.replace(/^(\r?\n)+/, '');
      const nul = buffer.indexOf('\0');
      if (nul < 0) break;
      const text = buffer.slice(0, nul);
      buffer = buffer.slice(nul + 1);
      const [head, ...rest] = text.split(/\r?\n\r?\n/);
      const [command, ...lines] = head.split(/\r?\n/);
      const headers = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0 && !(l.slice(0, i) in headers)) headers[l.slice(0, i)] = l.slice(i + 1);
      }
      frames.push({ command, headers, body: rest.join('\n\n') });
    }
  });
  state.done = new Promise((resolve) => {
    ws.on('close', (code) => {
      state.closed = { code, at: Date.now() };
      resolve(state.closed);
    });
    ws.on('error', () => {});
  });
  ws.on('open', () => {
    state.opened = Date.now();
    ws.send(connectFrame);
  });
  return state;
}

before(async () => {
  server = await startServer([
    '--log-level', 'info',
    '--limits.messages_per_second', '1000', '--limits.message_burst', '1000',
    // A short heart-beat offer, so that the heart-beat checks take seconds.
    '--stomp.heartbeat_ms', String(HEARTBEAT_MS),
  ]);
  alice = await signUp(server, 'alice');
  bob = await signUp(server, 'bob');
  carol = await signUp(server, 'carol');
});

after(async () => {
  if (server) {
    // h2hd's log, for a failing check: where H2H_INTEROP_LOG names a file
    // (the ctest entry sets it), else on stderr when that is "-".
    const dest = process.env.H2H_INTEROP_LOG;
    if (dest === '-') console.error(`---- h2hd log ----\n${server.log}\n------`);
    else if (dest) writeFileSync(dest, server.log);
    await server.stop();
  }
});

describe('STOMP at /ws with @stomp/stompjs', { timeout: 120000 }, () => {
  test('CONNECT with a Bearer token: version 1.2, heart-beat and server in CONNECTED', async () => {
    const h = await connect(alice);
    try {
      assert.equal(h.state.socket.protocol, 'v12.stomp', 'the upgrade chose the subprotocol v12.stomp');
      assert.equal(h.connected.headers.version, '1.2', 'CONNECTED names version 1.2');
      assert.match(h.connected.headers['heart-beat'] ?? '', /^\d+,\d+$/, 'CONNECTED has heart-beat:sx,sy');
      assert.match(h.connected.headers.server ?? '', /^h2h\/\S+/, 'CONNECTED has server:h2h/<version>');
    } finally {
      await h.client.deactivate();
    }
  });

  test('CONNECT with the token as passcode', async () => {
    const h = await connect(bob, { how: 'passcode' });
    assert.equal(h.connected.headers.version, '1.2');
    await h.client.deactivate();
  });

  for (const how of ['bearer', 'passcode', 'none']) {
    test(`a bad token (${how}) gets ERROR with a message, then the socket closes`, async () => {
      const headers = how === 'bearer' ? { Authorization: 'Bearer not.a.token' }
        : how === 'passcode' ? { login: 'mallory', passcode: 'not.a.token' } : {};
      const h = makeClient(headers);
      h.client.activate();
      try {
        const error = await h.events.next((e) => e.kind !== 'unhandled', 'ERROR for a bad token', CONNECT_MS);
        assert.equal(error.kind, 'error',
          `a bad token gets an ERROR frame, not ${error.kind} ${JSON.stringify(error.frame?.headers ?? error)}`);
        assert.equal(error.frame.command, 'ERROR');
        assert.ok((error.frame.headers.message ?? '').length > 0, 'the ERROR frame has a message header');
        await h.events.next((e) => e.kind === 'close', 'the server closes after ERROR', CONNECT_MS);
      } finally {
        await h.client.deactivate({ force: true });
      }
    });
  }

  test('two rooms: SEND to each, MESSAGE frames with the headers and body of §2.2', async () => {
    const r1 = await createRoom(server, alice, 'interop-one');
    const r2 = await createRoom(server, alice, 'interop-two');
    const a = await connect(alice);
    const b = await connect(bob);
    try {
      const b1 = await subscribe(b, r1);
      const b2 = await subscribe(b, r2);
      await subscribe(a, r1);
      await subscribe(a, r2);
      assert.notEqual(b1.sub.id, b2.sub.id, 'stompjs gives each subscription its own id');
      const t1 = unique('hello room one');
      const t2 = unique('hello room two');
      await talk(a, alice, r1, t1);
      await talk(a, alice, r2, t2);
      const m1 = await b1.inbox.next(isText(t1), `bob's MESSAGE "${t1}" in ${r1}`);
      const m2 = await b2.inbox.next(isText(t2), `bob's MESSAGE "${t2}" in ${r2}`);
      checkMessage(m1, { roomId: r1, subscription: b1.sub.id, sender: alice, text: t1 });
      checkMessage(m2, { roomId: r2, subscription: b2.sub.id, sender: alice, text: t2 });
      await sleep(SETTLE_MS);
      assert.ok(!b1.inbox.items.some(isText(t2)), 'room two\'s message did not reach room one\'s subscription');
      assert.ok(!b2.inbox.items.some(isText(t1)), 'room one\'s message did not reach room two\'s subscription');
      assert.equal(b1.inbox.items.filter(isText(t1)).length, 1, 'delivered once');
    } finally {
      await a.client.deactivate();
      await b.client.deactivate();
    }
  });

  test('a RECEIPT for a SEND means the message is in history', async () => {
    const room = await createRoom(server, alice, 'interop-receipt');
    const a = await connect(alice);
    try {
      const sub = await subscribe(a, room);
      const text = unique('durable');
      const receipt = await talk(a, alice, room, text);
      assert.equal(receipt.command, 'RECEIPT');
      // Read history at once, before anything else happens: the RECEIPT
      // alone must mean "committed".
      const stored = (await history(server, alice, room)).filter((m) => m.message === text);
      assert.equal(stored.length, 1, `the message is in GET /messages/room/${room} once the RECEIPT came`);
      const live = await sub.inbox.next(isText(text), 'the sender\'s own MESSAGE');
      assert.equal(bodyOf(live).seq, stored[0].seq, 'history and MESSAGE agree on the seq');
    } finally {
      await a.client.deactivate();
    }
  });

  test('heart-beats both ways keep a quiet stompjs connection alive', async () => {
    const h = await connect(carol, { heartbeat: HEARTBEAT_MS });
    try {
      const [sx, sy] = h.connected.headers['heart-beat'].split(',').map(Number);
      assert.ok(sx > 0, `the server offers to send heart-beats (heart-beat:${sx},${sy})`);
      assert.ok(sy > 0, `the server wants the client's heart-beats (heart-beat:${sx},${sy})`);
      const serverEvery = Math.max(sx, HEARTBEAT_MS);
      const clientEvery = Math.max(sy, HEARTBEAT_MS);
      // Several intervals of both directions, nothing else on the wire.
      const quiet = Math.min(Math.max(4 * Math.max(serverEvery, clientEvery), 4000), 20000);
      await sleep(quiet);
      assert.equal(h.state.closed, null, `the connection was closed during ${quiet} ms of heart-beats only`);
      assert.ok(h.client.connected, 'stompjs still counts itself connected');
      assert.ok(h.state.heartbeats >= Math.floor(quiet / serverEvery) - 1,
        `the server sent ${h.state.heartbeats} heart-beats in ${quiet} ms at ${serverEvery} ms`);
      // And the connection still works.
      const room = await createRoom(server, carol, 'interop-heartbeat');
      const sub = await subscribe(h, room);
      const text = unique('after heart-beats');
      await talk(h, carol, room, text);
      await sub.inbox.next(isText(text), 'a message after the quiet period');
    } finally {
      await h.client.deactivate();
    }
  });

  test('a client that negotiated heart-beats and goes silent is dropped in time', async () => {
    const c = rawStomp(`CONNECT\naccept-version:1.2\nhost:127.0.0.1\nAuthorization:Bearer ${carol.token}\n`
      + `heart-beat:${HEARTBEAT_MS},0\n\n\0`);
    try {
      const connected = await c.frames.next(() => true, 'CONNECTED for the silent client', CONNECT_MS);
      assert.equal(connected.command, 'CONNECTED', JSON.stringify(connected));
      const connectedAt = Date.now();
      const [, sy] = (connected.headers['heart-beat'] ?? '0,0').split(',').map(Number);
      assert.ok(sy > 0, `the server must expect heart-beats from a client that offers them (heart-beat:${connected.headers['heart-beat']})`);
      const expected = Math.max(HEARTBEAT_MS, sy);
      // STOMP 1.2 leaves a margin of error; h2h's sweep adds its period.
      const bound = Math.max(3 * expected, expected + 3000);
      const closed = await within(bound + 1000, c.done,
        `the silent client was not dropped within ${bound} ms (client interval ${expected} ms)`);
      const silentFor = closed.at - connectedAt;
      assert.ok(silentFor >= expected - 100,
        `dropped after ${silentFor} ms, before the negotiated ${expected} ms had passed`);
      assert.ok(silentFor <= bound, `dropped after ${silentFor} ms, past the bound of ${bound} ms`);
    } finally {
      c.ws.terminate();
    }
  });

  test('last-seq: a reconnecting subscriber gets exactly the missed messages, in order, once', async () => {
    const room = await createRoom(server, alice, 'interop-recovery');
    const a = await connect(alice);
    let b = await connect(bob);
    try {
      await subscribe(a, room);
      let sb = await subscribe(b, room);
      const before1 = unique('before disconnect');
      await talk(a, alice, room, before1);
      const seen = await sb.inbox.next(isText(before1), 'bob sees the message before disconnecting');
      const lastSeq = bodyOf(seen).seq;
      await b.client.deactivate();

      const missed = [unique('missed 1'), unique('missed 2'), unique('missed 3')];
      for (const text of missed) await talk(a, alice, room, text);

      b = await connect(bob);
      sb = await subscribe(b, room, { 'last-seq': String(lastSeq) });
      await sb.inbox.count((m) => missed.some((t) => isText(t)(m)), missed.length,
        'the three missed messages replayed');
      const live = unique('live after replay');
      await talk(a, alice, room, live);
      await sb.inbox.next(isText(live), 'the live message after the replay');
      await sleep(SETTLE_MS);

      const seqs = sb.inbox.items.map((m) => bodyOf(m).seq);
      for (let i = 1; i < seqs.length; i += 1)
        assert.ok(seqs[i] > seqs[i - 1], `seqs strictly increase, no duplicate: ${seqs.join(',')}`);
      assert.ok(seqs.every((s) => s > lastSeq), `nothing at or before last-seq ${lastSeq} came again: ${seqs.join(',')}`);
      // Everything committed after last-seq up to the last missed message
      // (notices of bob's leaving included) is what the replay holds.
      const upTo = bodyOf(sb.inbox.items.find(isText(missed[2]))).seq;
      const stored = (await history(server, alice, room)).map((m) => m.seq)
        .filter((q) => q > lastSeq && q <= upTo).sort((x, y) => x - y);
      assert.deepEqual(seqs.filter((q) => q <= upTo), stored,
        'the replay is exactly the committed messages after last-seq');
      const texts = sb.inbox.items.map((m) => bodyOf(m).message).filter((t) => missed.includes(t) || t === live);
      assert.deepEqual(texts, [...missed, live], 'the missed messages in order, then the live one, each once');
      for (const m of sb.inbox.items) checkMessage(m, { roomId: room, subscription: sb.sub.id });
    } finally {
      await a.client.deactivate();
      await b.client.deactivate();
    }
  });

  test('a /message client and a STOMP subscriber see each other\'s messages', async () => {
    const room = await createRoom(server, alice, 'interop-cross');
    const s = await connect(bob);
    const raw = new WebSocket(server.wsUrl('/message'), { headers: { Authorization: `Bearer ${alice.token}` } });
    const rawFrames = new Inbox();
    raw.on('message', (data) => rawFrames.push(JSON.parse(data.toString())));
    raw.on('error', () => {});
    try {
      await within(CONNECT_MS, new Promise((resolve, reject) => {
        raw.once('open', resolve);
        raw.once('error', reject);
      }), 'the /message client connects');
      const sb = await subscribe(s, room);
      raw.send(JSON.stringify({ type: 'ENTER', roomId: room, sender: alice.nickname, message: '' }));
      await rawFrames.next((f) => f.type === 'ENTER' && f.senderId === alice.id, 'the raw client\'s ENTER notice');

      const fromRaw = unique('from /message');
      raw.send(JSON.stringify({ type: 'MESSAGE', roomId: room, sender: alice.nickname, message: fromRaw, clientMsgId: unique('c') }));
      const ack = await rawFrames.next((f) => f.type === 'ACK' || f.type === 'ERROR', 'the raw client\'s ACK');
      assert.equal(ack.type, 'ACK', JSON.stringify(ack));
      const got = await sb.inbox.next(isText(fromRaw), 'the STOMP subscriber gets the /message client\'s message');
      const body = checkMessage(got, { roomId: room, subscription: sb.sub.id, sender: alice, text: fromRaw });
      assert.equal(body.seq, ack.seq, 'the STOMP MESSAGE carries the seq the raw ACK named');

      const fromStomp = unique('from STOMP');
      await talk(s, bob, room, fromStomp);
      const rawGot = await rawFrames.next((f) => f.message === fromStomp, 'the /message client gets the STOMP SEND');
      assert.equal(rawGot.type, 'MESSAGE', JSON.stringify(rawGot));
      assert.equal(rawGot.roomId, room);
      assert.equal(rawGot.sender, bob.nickname);
      assert.equal(rawGot.senderId, bob.id);
      assert.ok(Number.isInteger(rawGot.seq) && rawGot.seq > ack.seq, 'a later seq');
      const stompOwn = await sb.inbox.next(isText(fromStomp), 'the STOMP sender\'s own copy');
      assert.equal(bodyOf(stompOwn).seq, rawGot.seq, 'both protocols carry the same seq');
    } finally {
      raw.terminate();
      await s.client.deactivate();
    }
  });
});
