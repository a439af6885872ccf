#!/usr/bin/env node
// End-to-end test of the GiftBuyer panel against a real server in demo mode.
//
// Env:
//   GIFTBUYER_BIN   the server binary (required)
//   CHROMIUM        the browser (default /usr/bin/chromium)
//   E2E_BASE_URL    load the panel from here instead (a Vite dev/preview server whose proxy
//                   already points at a server; the script still starts its own server)
//   E2E_DROP_TIMEOUT_SECS  how long to wait for a demo drop (default 120; the demo's first drop that is not part of the seeded catalog comes about 60-75 s after start)
//   E2E_SERVE_ARGS  more arguments for `giftbuyer serve --demo`, e.g. `--demo-mtproto` to run
//                   the same walk against the demo market over a loopback Telegram
//   E2E_SHOTS_DIR   where the screenshots go (default target/e2e)
//   E2E_REQUIRE_EMBEDDED=1  fail unless the started server serves the panel itself (what the
//                   README's test command checks, so that a broken embedding cannot hide)
// Without E2E_BASE_URL the panel is loaded from the started server itself; when that server
// was built without the panel, the script serves web/dist with `vite preview`, proxied to it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const webDir = resolve(here, '..');
const repoRoot = resolve(webDir, '..');
const shotsDir = process.env.E2E_SHOTS_DIR || join(repoRoot, 'target', 'e2e');
const dropTimeoutMs = Number(process.env.E2E_DROP_TIMEOUT_SECS ?? 120) * 1000;

const children = [];
const tempDirs = [];
let context = null;

class E2eError extends Error {}
const fail = (message) => {
  throw new E2eError(message);
};
const log = (...args) => console.log(`[e2e ${new Date().toISOString().slice(11, 19)}]`, ...args);

function checkPrerequisites() {
  const bin = process.env.GIFTBUYER_BIN;
  if (!bin) fail('GIFTBUYER_BIN is not set: point it at the giftbuyer server binary (e.g. target/release/giftbuyer).');
  if (!existsSync(bin)) fail(`GIFTBUYER_BIN=${bin} does not exist: build the server first (cargo build --release -p giftbuyer-cli).`);
  const browser = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(browser)) fail(`Chromium not found at ${browser}: install it (apt-get install -y chromium) or set CHROMIUM.`);
  return { bin, browser };
}

/** Starts a child process and resolves with the first stdout match of `pattern`. */
function startProcess(name, cmd, args, { pattern, env, cwd, timeoutMs = 60_000 }) {
  return new Promise((resolveStart, rejectStart) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.push(child);
    let out = '';
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      rejectStart(new E2eError(`${name} did not start within ${timeoutMs / 1000} s. Output:\n${out.slice(-3000)}`));
    }, timeoutMs);
    const onData = (chunk) => {
      out += chunk.toString();
      if (process.env.E2E_VERBOSE) process.stdout.write(`[${name}] ${chunk}`);
      const m = pattern && out.match(pattern);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        resolveStart(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      rejectStart(new E2eError(`${name} could not be started: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      rejectStart(new E2eError(`${name} exited early (code ${code}, signal ${signal}). Output:\n${out.slice(-3000)}`));
    });
  });
}

function stopChildren() {
  for (const child of children.reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
  }
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function startServer(bin) {
  const dataDir = mkdtempSync(join(tmpdir(), 'giftbuyer-e2e-data-'));
  tempDirs.push(dataDir);
  const extra = (process.env.E2E_SERVE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const args = ['serve', '--demo', ...extra, '--demo-drop-every', '15', '--addr', '127.0.0.1:0', '--data-dir', dataDir];
  log('starting server:', bin, args.join(' '));
  const m = await startProcess('server', bin, args, { pattern: /listening on (http:\/\/[^\s]+)/ });
  const url = m[1].replace(/\/$/, '');
  log('server is at', url);
  return url;
}

/** Whether the server serves the built panel (rather than a placeholder page). */
async function servesPanel(url) {
  try {
    const res = await fetch(`${url}/`);
    const html = await res.text();
    return res.ok && html.includes('id="root"') && /assets\/index-[^"]+\.js/.test(html);
  } catch {
    return false;
  }
}

async function startPreview(apiUrl) {
  if (!existsSync(join(webDir, 'dist', 'index.html'))) fail('web/dist is missing: run `npm run build` in web/ first.');
  const port = await freePort();
  log(`the server has no panel built in: serving web/dist with vite preview on port ${port}`);
  const vite = join(webDir, 'node_modules', 'vite', 'bin', 'vite.js');
  await startProcess('vite', process.execPath, [vite, 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: webDir,
    env: { GIFTBUYER_API: apiUrl },
    pattern: /Local:/,
  });
  return `http://127.0.0.1:${port}`;
}

// ---------------------------------------------------------------- the flow

let shotCount = 0;
async function shot(page, name) {
  shotCount += 1;
  const file = join(shotsDir, `${String(shotCount).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  log('screenshot', file);
}

async function step(name, fn) {
  log('step:', name);
  try {
    return await fn();
  } catch (err) {
    if (err instanceof E2eError) throw err;
    throw new E2eError(`step "${name}" failed: ${err.message.split('\n').slice(0, 6).join('\n')}`);
  }
}

async function goTo(page, label, path) {
  await page.getByRole('navigation').getByRole('link', { name: label, exact: true }).click();
  await page.waitForURL((u) => u.pathname === path);
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

async function run(page, base) {
  const username = `e2e_${Date.now().toString(36)}`;
  const password = 'correct horse battery staple';

  await step('open the panel', async () => {
    await page.goto(base);
    await page.getByRole('tab', { name: 'Register' }).waitFor();
    await shot(page, 'login');
  });

  await step('register', async () => {
    await page.getByRole('tab', { name: 'Register' }).click();
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    // Keyboard: Enter in the form submits it.
    await page.getByLabel('Password', { exact: true }).press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  });

  await step('add an API profile', async () => {
    await page.getByRole('button', { name: 'Add API profile' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('e2e profile');
    await dialog.getByLabel('api_id').fill('1234567');
    await dialog.getByLabel('api_hash').fill('0123456789abcdef0123456789abcdef');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('profile-row').filter({ hasText: 'e2e profile' }).waitFor();
  });

  await step('add a Telegram account with the demo code', async () => {
    await page.getByRole('button', { name: 'Add account' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('radio', { name: /e2e profile/ }).check();
    await dialog.getByRole('button', { name: 'Next' }).click();
    await dialog.getByLabel('Phone number').fill('+1 555 010 2030');
    await dialog.getByRole('button', { name: 'Send code' }).click();
    const code = (await dialog.getByTestId('demo-code').locator('code').textContent())?.trim();
    if (!code) fail('the demo login did not show a demo code');
    log('demo code', code);
    await dialog.getByLabel('Login code').fill(code);
    await shot(page, 'add-account-code');
    await dialog.getByRole('button', { name: 'Next' }).click();
    const done = dialog.getByText(/^Account .* added\.$/);
    const password2fa = dialog.getByLabel('Two-step verification password');
    await done.or(password2fa).first().waitFor();
    if (await password2fa.isVisible()) fail('the demo account asked for a 2FA password, which the e2e flow does not know');
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await page.getByTestId('account-card').first().waitFor();
    await shot(page, 'dashboard');
  });

  await step('refresh the account (NDJSON progress)', async () => {
    const card = page.getByTestId('account-card').first();
    await card.getByRole('button', { name: 'Refresh' }).click();
    await card.locator('.stages li.stage-done', { hasText: 'Done' }).or(card.locator('.stages li.stage-error')).first().waitFor({ timeout: 30_000 });
    if (await card.locator('.stages li.stage-error').count()) fail('refreshing the demo account failed');
  });

  await step('add a channel and a target for the buying account itself', async () => {
    await goTo(page, 'Targets', '/channels');
    await page.getByRole('button', { name: 'Add target' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Channel id').fill('-1001234567890');
    await dialog.getByLabel('Title').fill('E2E channel');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('channel-row').filter({ hasText: 'E2E channel' }).waitFor();
    // The account's own profile, for gifts of a supply of one only, so that the demo's drops
    // still go to the channel.
    await page.getByRole('button', { name: 'Add target' }).first().click();
    const own = page.getByRole('dialog');
    await own.getByLabel('Myself (each buying account)').check();
    await own.getByLabel('Title').fill('E2E profile');
    await own.getByLabel('Max supply').fill('1');
    await own.getByRole('button', { name: 'Save' }).click();
    await own.waitFor({ state: 'detached' });
    const ownRow = page.getByTestId('channel-row').filter({ hasText: 'E2E profile' });
    await ownRow.getByTestId('channel-recipient').filter({ hasText: 'Myself' }).waitFor();
    if (await ownRow.getByRole('button', { name: 'Check access' }).count()) fail('a self target offers a membership check');
    await page.getByLabel('Price', { exact: true }).fill('500');
    await page.getByLabel('Supply', { exact: true }).fill('10000');
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.getByTestId('preview-result').filter({ hasText: 'E2E channel' }).waitFor();
    await shot(page, 'channels');
    await page.getByTestId('channel-row').filter({ hasText: 'E2E channel' }).getByRole('button', { name: 'Check access' }).click();
    const check = page.getByRole('dialog');
    await check.getByTestId('check-result').waitFor();
    await shot(page, 'channel-check');
    // Keyboard: Escape closes a dialog and focus goes back to the button that opened it.
    await page.keyboard.press('Escape');
    await check.waitFor({ state: 'detached' });
    const focused = await page.evaluate(() => document.activeElement?.textContent);
    if (focused !== 'Check access') fail(`focus did not return to the opening button (it is on "${focused}")`);
  });

  // Before autobuy spends the demo account's stars on drops: the demo lists an upgraded Heart
  // every 45 s at 600 to 6,000 stars, and the sniper buys the first one under the watch's price.
  await auctionsStep(page);

  await step('watch the resale market until a listing is bought (up to 150 s)', async () => {
    await goTo(page, 'Resale', '/resale');
    await page.getByLabel('Gift id').fill('5170145012310081615');
    await page.getByLabel('Max price (stars)').fill('6000');
    await page.getByLabel('How many').fill('1');
    await page.getByRole('button', { name: 'Add watch' }).click();
    const row = page.getByTestId('resale-watch').first();
    await row.waitFor();
    await row.getByRole('button', { name: 'Listings' }).click();
    const deadline = Date.now() + 150_000;
    let bought = null;
    while (!bought) {
      bought = await page.evaluate(async () => {
        const { purchases } = await (await fetch('/api/resale/purchases')).json();
        return purchases.find((p) => p.status === 'bought') ?? null;
      });
      if (bought) break;
      if (Date.now() > deadline) fail('the sniper bought no resale listing within 150 s');
      await page.waitForTimeout(2000);
    }
    log(`resale: bought ${bought.slug} for ${bought.price} stars`);
    await goTo(page, 'Gifts', '/gifts');
    await goTo(page, 'Resale', '/resale');
    const purchase = page.getByTestId('resale-purchase').filter({ hasText: bought.slug });
    await purchase.waitFor();
    if (!((await purchase.textContent()) ?? '').includes('bought')) fail(`resale purchase ${bought.slug} is not shown as bought`);
    await page.getByTestId('resale-watch').filter({ hasText: '1 of 1 bought' }).waitFor();
    await shot(page, 'resale');
  });

  await step('enable autobuy', async () => {
    await goTo(page, 'Settings', '/settings');
    const sw = page.getByTestId('autobuy-switch');
    if ((await sw.getAttribute('aria-checked')) !== 'true') await sw.click();
    await page.waitForFunction(() => document.querySelector('[data-testid=autobuy-switch]')?.getAttribute('aria-checked') === 'true');
    await shot(page, 'settings');
  });

  let newGiftId;
  await step(`wait for a demo drop to appear live in Gifts (up to ${dropTimeoutMs / 1000} s)`, async () => {
    await goTo(page, 'Gifts', '/gifts');
    await page.getByTestId('stream-status').filter({ hasText: 'Live' }).waitFor({ timeout: 20_000 });
    const fresh = page.locator('[data-testid=gift-card].gift-fresh').first();
    try {
      await fresh.waitFor({ timeout: dropTimeoutMs });
    } catch {
      fail(`no new gift appeared live within ${dropTimeoutMs / 1000} s`);
    }
    newGiftId = await fresh.getAttribute('data-gift-id');
    log('new gift', newGiftId);
    await fresh.scrollIntoViewIfNeeded();
    try {
      await fresh.locator('.sticker svg, .sticker canvas').first().waitFor({ timeout: 20_000 });
    } catch {
      fail(`the new gift ${newGiftId} shows no animation (no svg/canvas in its card)`);
    }
    await page.waitForTimeout(800); // let the animation draw a few frames
    await shot(page, 'gifts');
  });

  await step('the purchase appears in Purchases with its report', async () => {
    // Find, through the API the page itself uses, the run that bought the new gift (or, if
    // that gift was not for sale to this account, any run that bought something), then check
    // that the Purchases screen shows it with its report.
    const deadline = Date.now() + 120_000;
    let target = null;
    while (!target) {
      target = await page.evaluate(async (giftId) => {
        const page = await (await fetch('/api/runs?limit=10')).json();
        let fallback = null;
        for (const run of page.runs) {
          if (run.bought === 0 || !run.has_report) continue;
          const raw = await (await fetch(`/api/runs/${run.id}`)).text();
          if (raw.includes(`"gift_id":${giftId}`)) return { id: run.id, sameGift: true };
          fallback ??= { id: run.id, sameGift: false };
        }
        return fallback;
      }, newGiftId);
      if (target) break;
      if (Date.now() > deadline) fail('no autobuy run with a bought gift and a report within 120 s of the drop');
      await page.waitForTimeout(2000);
    }
    if (!target.sameGift) log(`warning: gift ${newGiftId} was not bought (not for sale to this account?); checking run #${target.id}`);
    await goTo(page, 'Purchases', '/purchases');
    const item = page.getByTestId('run-item').filter({ hasText: `#${target.id} ` });
    await item.waitFor();
    await item.click();
    await page.getByRole('heading', { name: `Run #${target.id}`, exact: true }).waitFor();
    const report = page.getByTestId('run-report');
    await report.waitFor();
    const text = (await report.textContent()) ?? '';
    if (text.trim() === '') fail(`run #${target.id} shows an empty report`);
    if (target.sameGift && !text.includes(newGiftId)) fail(`the report of run #${target.id} does not name gift ${newGiftId}`);
    const bought = await page.getByTestId('run-detail').locator('table tbody .badge', { hasText: 'bought' }).count();
    if (bought === 0) fail(`run #${target.id} shows no bought operation`);
    log(`run #${target.id}: ${bought} bought; report:\n` + text.split('\n').slice(0, 6).join('\n'));
    await shot(page, 'purchases');
  });

  await step('buy a gift by hand', async () => {
    await goTo(page, 'Gifts', '/gifts');
    await page.getByRole('checkbox', { name: 'In stock' }).check();
    const card = page.locator('[data-testid=gift-card]').first();
    await card.getByRole('button', { name: 'Buy…' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: /^Buy for/ });
    await confirm.waitFor();
    await page.waitForFunction(() => {
      const b = [...document.querySelectorAll('[role=dialog] button')].find((x) => x.textContent?.startsWith('Buy for'));
      return b && !b.disabled;
    });
    await confirm.click();
    // The outcome depends on the demo account's balance after autobuy: any answer will do,
    // as long as the dialog shows it.
    await dialog.getByTestId('buy-result').waitFor({ timeout: 30_000 });
    log('manual buy:', (await dialog.getByTestId('buy-result').textContent())?.replace(/\s+/g, ' '));
    await shot(page, 'buy-result');
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('checkbox', { name: 'In stock' }).uncheck();
  });

  await step('sessions', async () => {
    await goTo(page, 'Sessions', '/sessions');
    await page.getByTestId('session-row').first().waitFor();
    await shot(page, 'sessions');
  });

  await step('phone width and dark theme', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    await goTo(page, 'Gifts', '/gifts');
    await page.locator('[data-testid=gift-card]').first().waitFor();
    await shot(page, 'gifts-phone-dark');
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await step('Russian', async () => {
    await page.getByRole('combobox', { name: 'Language' }).selectOption('ru');
    await page.getByRole('heading', { level: 1, name: 'Подарки' }).waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'Обзор', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Обзор' }).waitFor();
    await shot(page, 'dashboard-ru');
    await page.getByRole('combobox', { name: 'Язык' }).selectOption('en');
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  });

  await step('log out', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('tab', { name: 'Register' }).waitFor();
  });
}

// The demo's Crystal Orb auction starts 30 s after the server does and its competitors bid 600
// to 6 000 stars, so a plan of up to 3 000 stars gets a first bid from the demo account.
async function auctionsStep(page) {
  await step('set a bidding budget and plan a bid on the demo\'s auction gift, then see its live state', async () => {
    await goTo(page, 'Auctions', '/auctions');
    await page.getByTestId('budget-warning').waitFor();
    await page.getByLabel('Budget (stars)').fill('5000');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('budget-state').filter({ hasText: 'Bidding is on' }).waitFor();
    // The picker offers the catalog's auction gifts only; the first option is the prompt.
    const picker = page.getByLabel('Auction gift');
    await picker.locator('option').nth(1).waitFor({ state: 'attached', timeout: 30_000 });
    const giftId = await picker.locator('option').nth(1).getAttribute('value');
    if (!giftId) fail('the Auctions view offers no auction gift from the demo catalog');
    await picker.selectOption(giftId);
    await page.getByLabel('Max bid (stars)').fill('3000');
    await page.getByLabel('How many gifts').fill('1');
    await page.getByRole('button', { name: 'Add plan' }).click();
    const plan = page.getByTestId('auction-plan').first();
    await plan.waitFor();
    if (!((await plan.textContent()) ?? '').includes('up to ★3,000')) fail('the new plan does not show its maximum bid');
    // The live state is read through the demo account: a running auction shows its round.
    const live = plan.getByTestId('auction-state');
    await live.waitFor({ timeout: 20_000 });
    const text = (await live.textContent()) ?? '';
    if (!/Round \d+ of \d+|The auction has ended/.test(text)) fail(`the plan shows no live auction state: "${text}"`);
    log(`auctions: planned a bid on gift ${giftId}; live state: ${text}`);
    // The bidder (every second, while this instance leads) places the first bid, and the
    // journal shows it through the stream's bid event.
    const placed = page.getByTestId('auction-bid').filter({ hasText: 'placed' }).first();
    await placed.waitFor({ timeout: 60_000 });
    log(`auctions: the bidder placed "${(await placed.textContent()) ?? ''}"`);
    await shot(page, 'auctions');
  });
}

async function main() {
  const { bin, browser } = checkPrerequisites();
  mkdirSync(shotsDir, { recursive: true });
  const apiUrl = await startServer(bin);
  let base = process.env.E2E_BASE_URL?.replace(/\/$/, '');
  if (!base) {
    if (await servesPanel(apiUrl)) {
      base = apiUrl;
    } else if (process.env.E2E_REQUIRE_EMBEDDED === '1') {
      fail('the server does not serve the built panel at / (E2E_REQUIRE_EMBEDDED=1): build web/dist before the server');
    } else {
      base = await startPreview(apiUrl);
    }
  }
  log('panel base URL', base);

  const profileDir = mkdtempSync(join(tmpdir(), 'giftbuyer-e2e-chromium-'));
  tempDirs.push(profileDir);
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: browser,
    headless: true,
    locale: 'en-US',
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
  });
  try {
    await run(page, base);
  } catch (err) {
    await page.screenshot({ path: join(shotsDir, 'failure.png'), fullPage: true }).catch(() => undefined);
    throw err;
  }
  if (problems.length > 0) fail(`the page reported problems:\n${problems.join('\n')}`);
}

// Ctrl-C or a CI timeout must not leave the server running.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopChildren();
    process.exit(130);
  });
}

const started = Date.now();
let exitCode = 0;
try {
  await main();
  log(`PASS in ${Math.round((Date.now() - started) / 1000)} s; screenshots in ${shotsDir}`);
  console.log('1 passed, 0 failed');
} catch (err) {
  exitCode = 1;
  console.error(`\nE2E FAILED: ${err instanceof Error ? err.message : String(err)}`);
  if (!(err instanceof E2eError) && err instanceof Error) console.error(err.stack);
  console.log('0 passed, 1 failed');
} finally {
  await context?.close().catch(() => undefined);
  stopChildren();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
