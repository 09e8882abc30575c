// Browser test of the dashboard against a running collector (or the dev
// server), with Debian's chromium driven by playwright-core.
//
//   node scripts/web/browser-test.mjs <base-url> [screenshot-dir] [receiver-ids]
//   e.g. node scripts/web/browser-test.mjs http://127.0.0.1:8080 /tmp/shots sim-1,sim-2
//
// Checks: the map centred on the site of data/receiver.json; aircraft
// drawn on the map; rows in the table; clicking an
// aircraft on the map and a table row opens the details panel with its
// hex; the receivers page lists every expected receiver; history search
// and replay; a 390×844 phone layout without horizontal overflow; no
// request to a host other than localhost; no console errors. Saves
// screenshots. Exits 0 on success, 1 with the failed checks listed.
//
// Installs its own dependency (npm ci in scripts/web) when missing.
// Environment: CHROMIUM (default /usr/bin/chromium), BROWSER_TEST_TIMEOUT_MS.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [baseArg, shotArg, rxArg] = process.argv.slice(2);
if (!baseArg || baseArg === '--help' || baseArg === '-h') {
  console.error('usage: node scripts/web/browser-test.mjs <base-url> [screenshot-dir] [expected-receiver-ids,comma,separated]');
  process.exit(2);
}
const base = baseArg.replace(/\/+$/, '');
const shots = resolve(shotArg || 'web-screenshots');
const expectedReceivers = (rxArg ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_TIMEOUT = Number(process.env.BROWSER_TEST_TIMEOUT_MS || 30000);

if (!existsSync(executablePath)) {
  console.error(`FAIL: no browser at ${executablePath}; run scripts/web/install-chromium.sh (or set CHROMIUM)`);
  process.exit(1);
}
if (!existsSync(join(here, 'node_modules', 'playwright-core'))) {
  console.log('installing test dependencies: npm ci --prefix scripts/web');
  execFileSync('npm', ['ci', '--prefix', here, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
const { chromium } = await import('playwright-core');

mkdirSync(shots, { recursive: true });
const failures = [];
const notes = [];
const log = (m) => console.log(`  ${m}`);

// Endpoints a collector may not have yet; the page falls back gracefully,
// but the browser still logs their 404 as a console error.
const OPTIONAL = [/\/api\/v1\/stream$/, /\/api\/v1\/receivers\/[^/]+\/(coverage|rates)(\?|$)/];
const isOptional = (url) => OPTIONAL.some((re) => re.test(url.split('#')[0]));
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

const offsite = [];
const consoleErrors = [];
const missingOptional = new Set();

function watch(page, label) {
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (['data:', 'blob:', 'about:'].includes(u.protocol)) return;
    if (!LOCAL_HOSTS.has(u.hostname)) offsite.push(`${label}: ${req.method()} ${req.url()}`);
  });
  page.on('response', (res) => {
    if (res.status() === 404 && isOptional(res.url())) missingOptional.add(new URL(res.url()).pathname.replace(/\/receivers\/[^/]+\//, '/receivers/{id}/'));
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const where = msg.location()?.url ?? '';
    if (/Failed to load resource: the server responded with a status of 404/.test(text) && isOptional(where)) return;
    if (/EventSource's response has a MIME type/.test(text) && missingOptional.has('/api/v1/stream')) return;
    consoleErrors.push(`${label}: ${text}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`${label}: uncaught ${err.message}`));
}

let current = null; // the page a failed step's screenshot is taken of

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    return true;
  } catch (e) {
    console.log(`FAIL ${name}: ${e.message.split('\n')[0]}`);
    failures.push(`${name}: ${e.message.split('\n')[0]}`);
    if (current && !current.isClosed()) {
      const file = `failed-${name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()}.png`;
      await current.screenshot({ path: join(shots, file) }).then(() => log(`screenshot ${join(shots, file)}`), () => {});
    }
    return false;
  }
}

async function shot(page, file) {
  const path = join(shots, file);
  await page.screenshot({ path });
  log(`screenshot ${path}`);
}

const userDataDir = mkdtempSync(join(tmpdir(), 'cloudradar-browser-'));
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

let exitCode = 0;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page, 'desktop');
  current = page;

  const loaded = await step('page loads', async () => {
    const res = await page.goto(`${base}/#map`, { waitUntil: 'load' });
    if (!res || !res.ok()) throw new Error(`GET ${base}/ -> ${res?.status()}`);
    const title = await page.title();
    if (!/CloudRadar/.test(title)) throw new Error(`unexpected title ${JSON.stringify(title)}`);
  });
  if (!loaded) throw new Error(`the dashboard did not load from ${base}/; later checks skipped`);

  await step('the map is centred on the site of receiver.json', async () => {
    const rx = await (await fetch(`${base}/data/receiver.json`)).json();
    if (typeof rx.lat !== 'number') throw new Error(`receiver.json has no site: ${JSON.stringify(rx)}`);
    await page.waitForFunction(() => document.getElementById('map')?.dataset.site, null, { timeout: STEP_TIMEOUT });
    const site = await page.$eval('#map', (el) => el.dataset.site);
    if (site !== `${rx.lat},${rx.lon}`) throw new Error(`dashboard site ${site}, receiver.json ${rx.lat},${rx.lon}`);
    log(`site ${site}`);
  });

  await step('aircraft are drawn on the map', async () => {
    await page.waitForFunction(() => Number(document.getElementById('map')?.dataset.aircraftDrawn) > 0, null, { timeout: STEP_TIMEOUT });
    await page.waitForTimeout(3000); // a few updates, so trails show
    const drawn = await page.$eval('#map', (el) => Number(el.dataset.aircraftDrawn));
    const ms = await page.$eval('#map', (el) => el.dataset.drawMs);
    log(`${drawn} aircraft drawn, last draw ${ms} ms, feed: ${await page.$eval('#feed-status', (el) => el.dataset.mode)}`);
    await shot(page, 'map.png');
  });

  await step('clicking an aircraft on the map opens its details', async () => {
    // An aircraft well inside the map with no other aircraft within 20 px.
    const target = await page.evaluate(() => {
      const cr = window.cloudradar;
      const map = document.getElementById('map').getBoundingClientRect();
      const pts = cr.drawnHexes().map((hex) => ({ hex, ...cr.aircraftOnScreen(hex) }));
      const inside = pts.filter((p) => p.x > map.left + 80 && p.x < map.right - 360 && p.y > map.top + 60 && p.y < map.bottom - 60);
      const lonely = inside.filter((p) => pts.every((q) => q === p || (q.x - p.x) ** 2 + (q.y - p.y) ** 2 > 400));
      return lonely[0] ?? inside[0] ?? null;
    });
    if (!target) throw new Error('no clickable aircraft inside the map');
    await page.mouse.click(target.x, target.y);
    await page.waitForSelector('[data-testid=details-panel]:not([hidden])');
    const hex = (await page.textContent('[data-testid=details-hex]')).trim();
    if (hex !== target.hex) throw new Error(`details show ${hex}, clicked ${target.hex}`);
    log(`clicked ${target.hex} at ${Math.round(target.x)},${Math.round(target.y)}`);
    await page.waitForTimeout(1200); // the selected track loads
    await shot(page, 'details.png');
    await page.click('[data-testid=details-close]');
    await page.waitForSelector('[data-testid=details-panel]', { state: 'hidden' });
  });

  await step('the table lists aircraft', async () => {
    await page.click('[data-testid=nav-table]');
    await page.waitForSelector('[data-testid=aircraft-row]');
    const rows = await page.$$eval('[data-testid=aircraft-row]', (r) => r.length);
    log(`${rows} rows rendered; ${await page.textContent('[data-testid=table-count]')}`);
    await shot(page, 'table.png');
  });

  await step('sorting and filtering the table', async () => {
    await page.click('[data-testid=th-alt]');
    const sorted = await page.$eval('[data-testid=th-alt]', (th) => th.getAttribute('aria-sort'));
    if (sorted === 'none') throw new Error('altitude column did not sort');
    const hex = await page.$eval('[data-testid=aircraft-row]', (r) => r.dataset.hex);
    await page.fill('[data-testid=table-filter]', hex);
    await page.waitForFunction((h) => {
      const rows = [...document.querySelectorAll('[data-testid=aircraft-row]')];
      return rows.length >= 1 && rows.every((r) => r.textContent.includes(h) || r.dataset.hex === h);
    }, hex);
    await page.fill('[data-testid=table-filter]', '');
  });

  await step('clicking a table row opens its details', async () => {
    // Rows are pooled and re-sorted on every snapshot, so a row found by its
    // hex may show another aircraft by the time the mouse lands. Filtering to
    // one aircraft keeps the row under the pointer.
    const hex = await page.$eval('[data-testid=aircraft-row]', (r) => r.dataset.hex);
    await page.fill('[data-testid=table-filter]', hex);
    await page.waitForFunction((h) => {
      const rows = [...document.querySelectorAll('[data-testid=aircraft-row]')];
      return rows.some((r) => r.dataset.hex === h) && rows.every((r) => r.textContent.toLowerCase().includes(h));
    }, hex);
    await page.click(`[data-testid=aircraft-row][data-hex="${hex}"]`);
    await page.waitForSelector('[data-testid=details-panel]:not([hidden])');
    await page.waitForFunction((h) => document.querySelector('[data-testid=details-hex]').textContent.trim() === h, hex);
    log(`row ${hex} -> details`);
    await shot(page, 'table-details.png');
    await page.click('[data-testid=details-close]');
    await page.fill('[data-testid=table-filter]', '');
  });

  await step('the receivers page lists the receivers', async () => {
    await page.click('[data-testid=nav-receivers]');
    await page.waitForSelector('[data-testid=receiver-card]');
    if (expectedReceivers.length) {
      for (const id of expectedReceivers) {
        await page.waitForSelector(`[data-testid=receiver-card][data-receiver-id="${id}"]`, { timeout: STEP_TIMEOUT }).catch(() => {
          throw new Error(`receiver ${id} not listed`);
        });
      }
    }
    const listed = await page.$$eval('[data-testid=receiver-card]', (c) => c.map((x) => `${x.dataset.receiverId}:${x.dataset.online === 'true' ? 'online' : 'offline'}`));
    log(`receivers: ${listed.join(', ')}`);
    await page.waitForTimeout(1500); // coverage and rates
    await shot(page, 'receivers.png');
  });

  await step('history: search, pick a flight, replay', async () => {
    await page.click('[data-testid=nav-history]');
    await page.waitForFunction(() => document.getElementById('history-msg').textContent && !/Searching/.test(document.getElementById('history-msg').textContent));
    const flights = await page.$$('[data-testid=history-flight]');
    if (!flights.length) {
      notes.push(`history: no flights listed (${await page.textContent('#history-msg')})`);
      await shot(page, 'history.png');
      return;
    }
    await flights[0].click();
    await page.waitForSelector('#replay:not([hidden])');
    const max = Number(await page.getAttribute('[data-testid=replay-slider]', 'max'));
    await page.$eval('[data-testid=replay-slider]', (s) => {
      s.value = String(Math.floor(Number(s.max) / 2));
      s.dispatchEvent(new Event('input', { bubbles: true }));
    });
    log(`${flights.length} flights; replaying one with ${max + 1} positions: ${await page.textContent('[data-testid=replay-info]')}`);
    await page.waitForTimeout(500);
    await shot(page, 'history.png');
  });

  await step('phone layout (390×844)', async () => {
    const phone = await context.newPage();
    watch(phone, 'phone');
    current = phone;
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${base}/#map`);
    await phone.waitForFunction(() => Number(document.getElementById('map')?.dataset.aircraftDrawn) > 0);
    await phone.waitForTimeout(2500);
    await shot(phone, 'phone-map.png');
    await phone.click('[data-testid=nav-table]');
    await phone.waitForSelector('[data-testid=aircraft-row]');
    await phone.click('[data-testid=aircraft-row]');
    await phone.waitForSelector('[data-testid=details-panel]:not([hidden])');
    await shot(phone, 'phone-table-details.png');
    await phone.click('[data-testid=details-close]');
    await phone.click('[data-testid=nav-receivers]');
    await phone.waitForSelector('[data-testid=receiver-card]');
    await phone.waitForTimeout(1000);
    await shot(phone, 'phone-receivers.png');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) throw new Error(`page is ${overflow} px wider than the phone screen`);
    await phone.close();
    current = page;
  });

  await step('no request left localhost', async () => {
    if (offsite.length) throw new Error(`${offsite.length} requests: ${offsite.slice(0, 5).join('; ')}`);
  });
  await step('no console errors', async () => {
    if (consoleErrors.length) throw new Error(`${consoleErrors.length}: ${consoleErrors.slice(0, 5).join(' | ')}`);
  });
  if (missingOptional.size) notes.push(`collector lacks optional endpoints (page fell back): ${[...missingOptional].join(', ')}`);
} catch (e) {
  failures.push(/later checks skipped/.test(e?.message) ? e.message : `unexpected: ${e?.stack ?? e}`);
} finally {
  await context.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}

for (const n of notes) console.log(`note: ${n}`);
if (failures.length) {
  console.error(`\nbrowser test FAILED (${failures.length}):\n${failures.map((f) => `  - ${f}`).join('\n')}\nscreenshots in ${shots}`);
  exitCode = 1;
} else {
  console.log(`\nbrowser test passed; screenshots in ${shots}`);
}
process.exit(exitCode);
