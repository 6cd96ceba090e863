// The chat page in headless Chromium: two people sign up (the code read from
// h2hd's log), one creates a room, both chat, one reloads and scrolls back
// through the history, and both get back in after the server restarts.
// Started by run.sh (ctest label `browser`); H2HD names the binary,
// H2H_WEB_ARTIFACTS where screenshots and the server's log go.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const H2HD = process.env.H2HD;
const ARTIFACTS = process.env.H2H_WEB_ARTIFACTS || join(process.cwd(), 'web-artifacts');
const WAIT = 15000; // any one step
const SEEDED = 60; // more than one history page (the page asks for 50)
const SECRET = 'browser-test-secret-0123456789-abcdefgh';
if (!H2HD) {
  console.error('FAILED: set H2HD to the h2hd binary');
  process.exit(1);
}
mkdirSync(ARTIFACTS, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'h2h-web-'));

let server = null;
let log = '';
let browser = null;

function startServer(port) {
  const args = [
    '--bind', '127.0.0.1', '--port', String(port),
    '--metrics.bind', '127.0.0.1', '--metrics.port', '0', '--admin.port', '0',
    '--store.sqlite_path', join(dir, 'h2h.db'),
    '--auth.password_memory_kib', '8', '--auth.password_ops', '1',
    '--auth.jwt_secret', SECRET,
    '--limits.messages_per_second', '1000', '--limits.message_burst', '1000',
  ];
  const proc = spawn(H2HD, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  server = proc;
  let mine = ''; // this process's own lines (the log holds every run)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('h2hd did not start in 20 s')), 20000);
    proc.stderr.on('data', (chunk) => {
      log += chunk;
      mine += chunk;
      const m = /(?<!metrics )(?<!admin )listening on [^\s]+:(\d+)/.exec(mine);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`h2hd exited with ${code}`));
    });
  });
}

async function stopServer() {
  const proc = server;
  server = null;
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
}

async function poll(what, fn, ms = WAIT) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const loggedCode = (email) => poll(`the code for ${email} in the log`, () => {
  const re = new RegExp(`mail to ${email.replace(/[.+]/g, '\\$&')} .*Your verification code is (\\d{6})`, 'g');
  let code = null;
  for (const m of log.matchAll(re)) code = m[1];
  return code;
});

/** `token` with the same claims, expired a minute ago, signed as h2hd does. */
function expired(token) {
  const [header, payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const now = Math.floor(Date.now() / 1000);
  claims.iat = now - 120;
  claims.exp = now - 60;
  const body = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

const step = (name) => console.log(`ok - ${name}`);

async function shot(page, name) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

/** Waits until the page shows a message whose text is `text`. */
const seesMessage = (page, text) => page.waitForFunction(
  (t) => [...document.querySelectorAll('#message-list li .text')].some((e) => e.textContent === t),
  text, { timeout: WAIT });

/** How many messages with the text `text` the page shows. */
const countMessages = (page, text) => page.$$eval('#message-list li .text',
  (els, t) => els.filter((e) => e.textContent === t).length, text);

const connected = (page, timeout = WAIT) => page.waitForFunction(
  () => document.getElementById('conn-status').textContent === 'Connected', null, { timeout });

async function newPerson(base, problems, label) {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|WebSocket connection/.test(m.text()))
      problems.push(`${label}: console error: ${m.text()}`);
  });
  await page.goto(base);
  return page;
}

async function signUp(page, nickname) {
  const email = `${nickname}@example.com`;
  await page.fill('#signup-email', email);
  await page.click('#code-form button[type=submit]');
  await page.waitForSelector('#confirm-form', { state: 'visible' });
  if (nickname === 'alice') await shot(page, 'sign-up');
  await page.fill('#signup-code', await loggedCode(email));
  await page.press('#signup-code', 'Enter');
  await page.waitForSelector('#join-form', { state: 'visible' });
  await page.fill('#signup-name', `Name of ${nickname}`);
  await page.fill('#signup-nickname', nickname);
  await page.fill('#signup-password', 'Passw0rd!');
  await page.click('#join-form button[type=submit]');
  await page.waitForSelector('#view-rooms', { state: 'visible' });
  if (await page.textContent('#who-name') !== nickname) throw new Error(`${nickname} is not shown as signed in`);
  return email;
}

async function main() {
  const problems = [];
  const port = await startServer(0);
  const base = `http://127.0.0.1:${port}/`;
  step(`h2hd listens on ${port}`);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'], timeout: 30000,
  });
  const alice = await newPerson(base, problems, 'alice');
  const bob = await newPerson(base, problems, 'bob');
  await signUp(alice, 'alice');
  const bobEmail = await signUp(bob, 'bob');
  step('two people signed up with emailed codes');

  // Bob logs out and in again through the login form.
  await bob.click('#logout');
  await bob.waitForSelector('#view-auth', { state: 'visible' });
  await bob.fill('#login-email', bobEmail);
  await bob.fill('#login-password', 'Passw0rd!');
  await bob.press('#login-password', 'Enter');
  await bob.waitForSelector('#view-rooms', { state: 'visible' });
  step('log out and log in');

  await alice.fill('#room-name', 'lobby');
  await alice.click('#create-form button[type=submit]');
  await alice.waitForSelector('#view-chat', { state: 'visible' });
  await connected(alice);
  const roomId = decodeURIComponent(/#room=(.+)$/.exec(alice.url())[1]);
  if (await alice.textContent('#room-title') !== 'lobby') throw new Error('the room title is wrong');
  step(`alice created and entered room ${roomId}`);

  // History of more than one page, sent over a socket of alice's own.
  await alice.evaluate(async ({ room, n }) => {
    const auth = JSON.parse(sessionStorage.getItem('h2h.auth'));
    const ws = new WebSocket(`ws://${location.host}/message?access_token=${encodeURIComponent(auth.access_token)}`);
    await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = () => fail(new Error('seed socket failed')); });
    let acked = 0;
    const done = new Promise((ok, fail) => {
      ws.onmessage = (ev) => {
        const f = JSON.parse(ev.data);
        if (f.type === 'ACK' && ++acked === n) ok();
        if (f.type === 'ERROR') fail(new Error(ev.data));
      };
    });
    ws.send(JSON.stringify({ type: 'ENTER', roomId: room, message: '' }));
    for (let i = 1; i <= n; i++)
      ws.send(JSON.stringify({ type: 'MESSAGE', roomId: room, message: `seed ${i}`, clientMsgId: `seed-${i}` }));
    await done;
    ws.close(1000);
  }, { room: roomId, n: SEEDED });
  await seesMessage(alice, `seed ${SEEDED}`);
  step(`${SEEDED} messages seeded; alice saw them live`);

  await bob.reload();
  await bob.click(`#room-list button[data-room-id="${roomId}"]`);
  await bob.waitForSelector('#view-chat', { state: 'visible' });
  await connected(bob);
  await seesMessage(bob, `seed ${SEEDED}`);
  if (await countMessages(bob, 'seed 1') !== 0) throw new Error('bob got more than the newest page at once');
  step('bob entered the room and sees the newest history');

  await alice.fill('#message-input', 'hello from alice');
  await alice.press('#message-input', 'Enter');
  await seesMessage(bob, 'hello from alice');
  await seesMessage(alice, 'hello from alice');
  const tricky = '<img src=x onerror="window.__xss=1"> <b>bold</b> & 😀';
  await bob.fill('#message-input', tricky);
  await bob.press('#message-input', 'Enter');
  await seesMessage(alice, tricky);
  await seesMessage(bob, tricky);
  for (const page of [alice, bob]) {
    const injected = await page.evaluate(() => window.__xss === 1
      || document.querySelector('#message-list img, #message-list b') !== null);
    if (injected) throw new Error('message text was rendered as HTML');
  }
  if (await bob.evaluate(() => document.activeElement.id) !== 'message-input')
    throw new Error('the message input lost the focus after sending');
  step('both see each other\'s messages, as text');
  await shot(alice, 'chat-alice');
  await shot(bob, 'chat-bob');

  // Bob reloads: same room, history back, then older pages on scroll.
  await bob.reload();
  await bob.waitForSelector('#view-chat', { state: 'visible' });
  await connected(bob);
  await seesMessage(bob, 'hello from alice');
  await seesMessage(bob, tricky);
  step('after a reload bob is back in the room with its history');
  await bob.waitForFunction(() => {
    const box = document.getElementById('messages');
    box.scrollTop = 0;
    box.dispatchEvent(new Event('scroll'));
    return [...document.querySelectorAll('#message-list li .text')].some((e) => e.textContent === 'seed 1');
  }, null, { timeout: WAIT, polling: 200 });
  await bob.waitForFunction(() => document.getElementById('history-status').textContent
    .includes('beginning'), null, { timeout: WAIT });
  for (let i = 1; i <= SEEDED; i++)
    if (await countMessages(bob, `seed ${i}`) !== 1) throw new Error(`seed ${i} is not shown once`);
  const seqs = await bob.$$eval('#message-list li', (lis) => lis.map((li) => Number(li.dataset.seq)));
  if (seqs.some((s, i) => i > 0 && s <= seqs[i - 1])) throw new Error('messages are out of order or repeated');
  step(`scrolling up loaded the older history (${seqs.length} items, in order, once each)`);
  await shot(bob, 'history-bob');

  // An expired access token: the page trades its refresh token for new ones.
  const stored = () => bob.evaluate(() => JSON.parse(sessionStorage.getItem('h2h.auth')));
  const old = await stored();
  await bob.evaluate((token) => {
    const auth = JSON.parse(sessionStorage.getItem('h2h.auth'));
    auth.access_token = token;
    sessionStorage.setItem('h2h.auth', JSON.stringify(auth));
  }, expired(old.access_token));
  await bob.reload();
  await bob.waitForSelector('#view-chat', { state: 'visible' });
  await connected(bob);
  await seesMessage(bob, 'hello from alice');
  const renewed = await stored();
  if (renewed.refresh_token === old.refresh_token || renewed.access_token === old.access_token)
    throw new Error('the expired token was not reissued');
  step('an expired access token was reissued with the refresh token (GLOBAL_104)');

  // The server restarts: both pages reconnect and ENTER with lastSeq.
  await stopServer();
  await alice.waitForFunction(() => /reconnecting/.test(document.getElementById('conn-status').textContent),
    null, { timeout: WAIT });
  await startServer(port);
  // The back-off may have grown while h2hd restarted (at most 15 s a try).
  await connected(alice, 2 * WAIT);
  await connected(bob, 2 * WAIT);
  await alice.fill('#message-input', 'after the restart');
  await alice.press('#message-input', 'Enter');
  await seesMessage(bob, 'after the restart');
  for (const page of [alice, bob])
    if (await countMessages(page, 'hello from alice') !== 1) throw new Error('a message was repeated after the reconnect');
  step('both reconnected after a server restart; nothing lost or repeated');
  await shot(alice, 'reconnected-alice');

  if (problems.length) throw new Error(problems.join('\n'));
  step('no page errors, no console errors (CSP included)');
}

const deadline = setTimeout(() => {
  console.error('FAILED: the browser test took longer than 150 s');
  finish(1);
}, 150000);

async function finish(code) {
  clearTimeout(deadline);
  try {
    if (browser) await browser.close();
  } catch {
    // closing a browser that failed to start
  }
  await stopServer().catch(() => {});
  writeFileSync(join(ARTIFACTS, 'h2hd.log'), log);
  console.log(`server log: ${join(ARTIFACTS, 'h2hd.log')}`);
  rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

main().then(() => {
  console.log('1 passed, 0 failed');
  return finish(0);
}, (e) => {
  console.error(`FAILED: ${e.stack || e}`);
  return finish(1);
});
