// Browser test of the dashboard against a collector that accepts bearer
// tokens only (no basic-auth users, no public read), with Debian's
// chromium driven by playwright-core.
//
//   DASHBOARD_TOKEN=<token> node scripts/web/token-test.mjs <base-url> [screenshot-dir]
//
// The token comes from the environment, not the command line (which other
// users can read). Checks: the page loads without credentials and asks for
// a token; the API refuses requests without one (challenge Bearer, so no
// browser password dialog); a wrong token is refused and asked for again;
// with the right one aircraft appear on the map and in the table, the live
// stream (fetch + ReadableStream, as EventSource cannot send the header)
// delivers updates, the selected aircraft's track loads; the token is in
// sessionStorage only, never in a URL; a reload stays signed in; no console
// errors, no request left localhost. Exits 0 on success, 1 with the
// failed checks listed.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [baseArg, shotArg] = process.argv.slice(2);
const TOKEN = process.env.DASHBOARD_TOKEN || '';
if (!baseArg || !TOKEN) {
  console.error('usage: DASHBOARD_TOKEN=<token> node scripts/web/token-test.mjs <base-url> [screenshot-dir]');
  process.exit(2);
}
const base = baseArg.replace(/\/+$/, '');
const shots = resolve(shotArg || 'web-screenshots');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_TIMEOUT = Number(process.env.BROWSER_TEST_TIMEOUT_MS || 30000);
if (!existsSync(executablePath)) {
  console.error(`FAIL: no browser at ${executablePath}; run scripts/web/install-chromium.sh (or set CHROMIUM)`);
  process.exit(1);
}
if (!existsSync(join(here, 'node_modules', 'playwright-core'))) {
  console.error('FAIL: run npm ci --prefix scripts/web first');
  process.exit(1);
}
const { chromium } = await import('playwright-core');
mkdirSync(shots, { recursive: true });

const failures = [];
const log = (m) => console.log(`  ${m}`);
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const offsite = [];
const consoleErrors = [];
const tokenInUrl = [];
const apiHeaders = []; // [url, has Authorization] of every API request
let page = null;

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    return true;
  } catch (e) {
    console.log(`FAIL ${name}: ${e.message.split('\n')[0]}`);
    failures.push(`${name}: ${e.message.split('\n')[0]}`);
    if (page && !page.isClosed()) {
      const file = `token-failed-${name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()}.png`;
      await page.screenshot({ path: join(shots, file) }).catch(() => {});
    }
    return false;
  }
}

async function shot(file) {
  const path = join(shots, file);
  await page.screenshot({ path });
  log(`screenshot ${path}`);
}

const userDataDir = mkdtempSync(join(tmpdir(), 'cloudradar-token-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  viewport: { width: 1440, height: 900 },
  deviceScaleFactor: 1,
});
context.setDefaultTimeout(STEP_TIMEOUT);

// Requests the test itself expects to be refused (before signing in, and
// the wrong token) log "401" console errors; those are not page faults.
let expect401 = true;
try {
  page = context.pages()[0] ?? (await context.newPage());
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (['data:', 'blob:', 'about:'].includes(u.protocol)) return;
    if (!LOCAL_HOSTS.has(u.hostname)) offsite.push(`${req.method()} ${req.url()}`);
    if (req.url().includes(TOKEN)) tokenInUrl.push(req.url());
    if (u.pathname.startsWith('/api/')) apiHeaders.push([u.pathname, Boolean(req.headers().authorization)]);
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (expect401 && /status of 401/.test(msg.text())) return;
    consoleErrors.push(`${msg.text()} (${msg.location()?.url ?? ''})`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught ${err.message}`));
  page.on('dialog', (d) => {
    consoleErrors.push(`unexpected dialog: ${d.type()}`);
    d.dismiss().catch(() => {});
  });

  const loaded = await step('the page loads without credentials and asks for a token', async () => {
    const res = await page.goto(`${base}/#map`, { waitUntil: 'load' });
    if (!res || !res.ok()) throw new Error(`GET ${base}/ -> ${res?.status()}`);
    await page.waitForSelector('[data-testid=login]:not([hidden])');
    log(`prompt: ${await page.textContent('[data-testid=login-msg]')}`);
    await shot('token-login.png');
  });
  if (!loaded) throw new Error('no sign-in form; later checks skipped');

  await step('the API refuses a request without a token, challenging Bearer', async () => {
    const r = await page.evaluate(async () => {
      const res = await fetch('api/v1/aircraft');
      return { status: res.status, challenge: res.headers.get('www-authenticate') };
    });
    if (r.status !== 401 || !/^Bearer/.test(r.challenge ?? '')) throw new Error(`got ${r.status} ${r.challenge}`);
  });

  await step('a wrong token is refused and asked for again', async () => {
    await page.fill('[data-testid=login-token]', 'not-the-right-token-at-all');
    await page.click('[data-testid=login-submit]');
    await page.waitForFunction(() => /refused/.test(document.querySelector('[data-testid=login-msg]')?.textContent ?? '')
      && !document.querySelector('[data-testid=login]').hidden);
  });

  await step('with the token, aircraft appear on the map', async () => {
    await page.fill('[data-testid=login-token]', TOKEN);
    await page.click('[data-testid=login-submit]');
    await page.waitForSelector('[data-testid=login]', { state: 'hidden' });
    expect401 = false;
    await page.waitForFunction(() => Number(document.getElementById('map')?.dataset.aircraftDrawn) > 0);
    log(`${await page.$eval('#map', (el) => el.dataset.aircraftDrawn)} aircraft drawn`);
  });

  await step('the live stream delivers updates (fetch stream, signed in)', async () => {
    await page.waitForFunction(() => window.cloudradar.feedMode() === 'live');
    const first = await page.evaluate(() => window.cloudradar.store.now);
    await page.waitForFunction((t) => window.cloudradar.store.now > t && window.cloudradar.feedMode() === 'live', first);
    const second = await page.evaluate(() => window.cloudradar.store.now);
    await page.waitForFunction((t) => window.cloudradar.store.now > t, second);
    log(`snapshots ${first} -> ${second} -> ${await page.evaluate(() => window.cloudradar.store.now)}`);
    const stream = apiHeaders.filter(([p]) => p === '/api/v1/stream');
    if (!stream.length || !stream.every(([, auth]) => auth)) throw new Error(`stream requests without the header: ${JSON.stringify(stream)}`);
    await page.waitForTimeout(1500); // trails
    await shot('token-map.png');
  });

  await step('the table lists aircraft and a row opens its details', async () => {
    await page.click('[data-testid=nav-table]');
    await page.waitForSelector('[data-testid=aircraft-row]');
    const hex = await page.$eval('[data-testid=aircraft-row]', (r) => r.dataset.hex);
    const rows = await page.$$eval('[data-testid=aircraft-row]', (r) => r.length);
    await page.click(`[data-testid=aircraft-row][data-hex="${hex}"]`);
    await page.waitForFunction((h) => document.querySelector('[data-testid=details-hex]')?.textContent.trim() === h, hex);
    // The selected aircraft's track comes from the API with the token too.
    await page.waitForFunction((h) => performance.getEntriesByType('resource').some((e) => e.name.endsWith(`/api/v1/aircraft/${h}`)), hex);
    log(`${rows} rows; ${hex} selected`);
    await shot('token-table.png');
    await page.click('[data-testid=details-close]');
  });

  await step('every API request after sign-in carried the token; none put it in a URL', async () => {
    if (tokenInUrl.length) throw new Error(`token in URL: ${tokenInUrl[0].replace(TOKEN, '<token>')}`);
    const stored = await page.evaluate(() => sessionStorage.getItem('cloudradar.token'));
    if (stored !== TOKEN) throw new Error('token not in sessionStorage');
    const local = await page.evaluate(() => Object.keys(localStorage).length);
    if (local) throw new Error('something was written to localStorage');
  });

  await step('a reload stays signed in', async () => {
    await page.reload({ waitUntil: 'load' });
    await page.waitForFunction(() => window.cloudradar?.feedMode() === 'live');
    if (!(await page.$eval('[data-testid=login]', (el) => el.hidden))) throw new Error('asked for the token again');
  });

  await step('no request left localhost', async () => {
    if (offsite.length) throw new Error(`${offsite.length} requests: ${offsite.slice(0, 5).join('; ')}`);
  });
  await step('no console errors', async () => {
    if (consoleErrors.length) throw new Error(`${consoleErrors.length}: ${consoleErrors.slice(0, 5).join(' | ')}`);
  });
} catch (e) {
  failures.push(/later checks skipped/.test(e?.message) ? e.message : `unexpected: ${e?.stack ?? e}`);
} finally {
  await context.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}

if (failures.length) {
  console.error(`\ntoken browser test FAILED (${failures.length}):\n${failures.map((f) => `  - ${f}`).join('\n')}\nscreenshots in ${shots}`);
  process.exit(1);
}
console.log(`\ntoken browser test passed; screenshots in ${shots}`);
process.exit(0);
