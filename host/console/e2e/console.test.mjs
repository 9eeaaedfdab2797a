// Browser tests of the ctihost web console (make test-e2e): the real host,
// a simulated Grandstream phone and a simulated MiRTA PBX on loopback, and
// the console in headless Debian chromium driven by playwright-core (no
// browser download: executablePath is the system chromium).
//
// Checked: a simulated incoming call appears on the page within a second;
// a click on hang up ends it on the simulated phone; a queue call shows in
// the queue view; a plugin swap shows its steps as they happen; a read-only
// token sees no action buttons. Screenshots of the main views go to
// bin/e2e/ (the README's come from there).
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../../..');
const bin = path.join(root, 'bin');
const shots = path.join(bin, 'e2e');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ctihost-e2e-'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const VIEWER_TOKEN = 'e2e-viewer-token-0123456789';
const CONTROL_TOKEN = 'e2e-control-token-0123456789';
const procs = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// start runs a program of bin/, keeping its output for a failure report.
function start(name, args, env = {}) {
  const p = spawn(path.join(bin, name), args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  p.output = '';
  for (const s of [p.stdout, p.stderr]) s.on('data', (d) => { p.output += d.toString(); if (p.output.length > 1 << 20) p.output = p.output.slice(-(1 << 19)); });
  p.label = name;
  procs.push(p);
  return p;
}

function stopAll() {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
}
process.on('exit', stopAll);

async function waitFor(what, ok, timeout = 20000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await ok();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const results = [];
async function check(name, fn) {
  const began = Date.now();
  try {
    const note = await fn();
    results.push({ name, ok: true, ms: Date.now() - began, note });
    console.log(`ok   ${name}${note ? ' (' + note + ')' : ''}`);
  } catch (err) {
    results.push({ name, ok: false, ms: Date.now() - began });
    console.log(`FAIL ${name}: ${err.message}`);
  }
}

const phonePort = await freePort(), pbxPort = await freePort(), grpcPort = await freePort(), httpPort = await freePort();
const phone = `127.0.0.1:${phonePort}`;
const pbx = `http://127.0.0.1:${pbxPort}`;
const env = { GXP_PASSCODE: 'e2e-passcode-0123', MIRTA_KEY: 'e2e-mirta-key-0123', E2E_VIEWER_TOKEN: VIEWER_TOKEN, XDG_CONFIG_HOME: work, MIRTA_CONTROL_TOKEN: CONTROL_TOKEN };
start('gssim', ['-phone', `${phone}=GXP2135`, '-auto-answer', '0'], env);
start('mirtasim', ['-listen', `127.0.0.1:${pbxPort}`, '-tenant', 'DEVEL', '-extensions', '2', '-queues', '1', '-answer-after', '1h'], env);
const config = path.join(work, 'config.hcl');
fs.writeFileSync(config, `host {
  listen      = "127.0.0.1:${grpcPort}"
  http_listen = "127.0.0.1:${httpPort}"
  plugin_dir  = ${JSON.stringify(path.join(bin, 'plugins'))}
}
plugin "grandstream" {
  config {
    poll_interval = "100ms"
    poll_jitter   = "10ms"
  }
}
plugin "mirta" {}
site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "${phone}"
    passcode = env("GXP_PASSCODE")
  }
}
site "mt" {
  connection "pbx" {
    driver        = "mirta"
    url           = "${pbx}"
    tenant        = "DEVEL"
    key           = env("MIRTA_KEY")
    poll_interval = "200ms"
  }
}
client "viewer" {
  token  = env("E2E_VIEWER_TOKEN")
  sites  = ["*"]
  scopes = ["events"]
}
`, { mode: 0o600 });
const host = start('ctihost', ['-config', config], env);
let consoleURL;
try {
  consoleURL = await waitFor('the host to print the console URL', () => host.output.match(/web console, open in a browser: url="?([^"\s]+)/)?.[1]);
} catch (err) {
  console.log(host.output);
  throw err;
}
const base = `http://127.0.0.1:${httpPort}`;
fs.mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const admin = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await admin.goto(consoleURL);
await admin.locator('[data-testid=device][data-device="hq/reception"]').waitFor({ timeout: 20000 });
await admin.locator('[data-testid=live]', { hasText: 'live' }).waitFor({ timeout: 10000 });

const ringPhone = (number) => fetch(`http://${phone}/sim/ring?number=${number}&name=E2E`, { method: 'POST' });
const phoneLines = async () => {
  const st = await (await fetch(`http://${phone}/sim/state`)).json();
  return Object.values(st.lines || {}).flat();
};

await check('a simulated incoming call appears on the page within a second', async () => {
  const began = Date.now();
  const r = await ringPhone('5551234');
  if (!r.ok) throw new Error(`ring: ${r.status}`);
  await admin.locator('[data-testid=call][data-device="hq/reception"][data-state=ringing]').waitFor({ timeout: 1000 });
  const took = Date.now() - began;
  await admin.screenshot({ path: path.join(shots, 'devices.png'), fullPage: true });
  return `${took} ms from the ring`;
});

await check('a click on hang up ends the call on the simulated phone', async () => {
  const call = admin.locator('[data-testid=call][data-device="hq/reception"]');
  await call.locator('[data-testid=hangup]').first().click();
  await call.first().waitFor({ state: 'detached', timeout: 5000 });
  await waitFor('the phone to be idle', async () => (await phoneLines()).every((l) => !l.remote_number), 5000);
});

await check('a queue call shows in the queue view', async () => {
  const r = await fetch(`${pbx}/sim/ring`, {
    method: 'POST', headers: { Authorization: `Bearer ${CONTROL_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ tenant: 'DEVEL', from: '01632960001', to: '600' }),
  });
  if (!r.ok) throw new Error(`ring the queue: ${r.status} ${await r.text()}`);
  await admin.locator('[data-testid=queue] [data-testid=queue-call]').first().waitFor({ timeout: 5000 });
  await admin.locator('[data-testid=queue]').first().scrollIntoViewIfNeeded();
  await admin.screenshot({ path: path.join(shots, 'queues.png'), fullPage: true });
});

await check('a plugin swap shows its steps', async () => {
  const row = admin.locator('[data-testid=plugin][data-driver=grandstream]');
  await row.waitFor({ timeout: 5000 });
  await row.locator('[data-testid=swap-binary]').fill(path.join(bin, 'plugins', 'cti-driver-grandstream'));
  await row.locator('[data-testid=swap]').click();
  await waitFor('two swap steps', async () => (await admin.locator('[data-testid=swap-step]').count()) >= 2, 20000);
  const steps = await admin.locator('[data-testid=swap-step]').allTextContents();
  await row.scrollIntoViewIfNeeded();
  await admin.screenshot({ path: path.join(shots, 'plugins.png'), fullPage: true });
  return steps.length + ' steps: ' + steps.map((s) => s.trim().replace(/\s+/g, ' ')).join(' | ');
});

await check('the event tail shows and filters events', async () => {
  await admin.locator('[data-testid=event]').first().waitFor({ timeout: 5000 });
  await admin.locator('[data-testid=event-filter]').fill('hq/reception');
  const shown = await admin.locator('[data-testid=event]:visible').allTextContents();
  if (shown.length === 0 || shown.some((t) => !t.includes('hq/reception'))) throw new Error(`filtered tail: ${JSON.stringify(shown.slice(0, 5))}`);
  await admin.screenshot({ path: path.join(shots, 'events.png'), fullPage: true });
});

await check('a read-only token sees no action buttons', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(`${base}/console/`);
  await page.locator('[data-testid=token-input]').fill(VIEWER_TOKEN);
  await page.locator('[data-testid=login]').click();
  await page.locator('[data-testid=device][data-device="hq/reception"]').waitFor({ timeout: 10000 });
  await ringPhone('5559999');
  await page.locator('[data-testid=call][data-device="hq/reception"]').first().waitFor({ timeout: 5000 });
  const buttons = ['dial', 'answer', 'hangup', 'hold', 'resume', 'dnd', 'swap', 'restart', 'join-queue', 'leave-queue', 'pause-agent', 'unpause-agent'];
  for (const id of buttons) {
    const n = await page.locator(`[data-testid=${id}]`).count();
    if (n !== 0) throw new Error(`the read-only page shows ${n} ${id} buttons`);
  }
  await page.screenshot({ path: path.join(shots, 'read-only.png'), fullPage: true });
  await ctx.close();
});

await check('a phone-sized screen shows the devices', async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await ctx.newPage();
  await page.goto(`${base}/console/`);
  await page.locator('[data-testid=token-input]').fill(VIEWER_TOKEN);
  await page.locator('[data-testid=login]').click();
  await page.locator('[data-testid=device][data-device="hq/reception"]').waitFor({ timeout: 10000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 8) throw new Error(`the page is ${overflow}px wider than the phone's screen`);
  await page.screenshot({ path: path.join(shots, 'phone.png'), fullPage: true });
  await ctx.close();
});

await browser.close();
stopAll();
const failed = results.filter((r) => !r.ok);
console.log(`\n${results.length - failed.length} passed, ${failed.length} failed; screenshots in ${path.relative(root, shots)}/`);
if (failed.length > 0) {
  for (const p of procs) console.log(`--- ${p.label} output (tail)\n${p.output.slice(-4000)}`);
  process.exit(1);
}
fs.rmSync(work, { recursive: true, force: true });
