// Browser test of how the dashboard shows a position's source: against the
// dev server's synthetic feed (every tenth aircraft multilaterated, every
// 25th from TIS-B, as readsb writes them), multilaterated aircraft are
// counted as drawn with the MLAT outline, and the details panel names the
// source of an MLAT, a TIS-B and an ADS-B aircraft.
//
// Usage: node scripts/web/source-test.mjs [screenshot-dir] [live-url]
// Without live-url it starts `dev-server.mjs --synthetic 100` on a free
// port and stops it. With live-url (a running collector, its aircraft
// multilaterated from simulated receivers) it checks the same on real
// fixes: MLAT aircraft drawn with the outline and named in the details,
// and an ADS-B aircraft named as such (the simulator sends no TIS-B);
// the screenshot (source-live.png) shows an MLAT aircraft selected.
// Environment: CHROMIUM (default /usr/bin/chromium).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const shots = resolve(process.argv[2] || 'web-screenshots');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`FAIL: no browser at ${executablePath}; run scripts/web/install-chromium.sh (or set CHROMIUM)`);
  process.exit(1);
}
const { chromium } = await import('playwright-core');

const live = process.argv[3];
// Port 0: the server prints the port it bound.
const server = live ? null : spawn(process.execPath, [join(here, 'dev-server.mjs'), '--synthetic', '100', '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const base = live || await new Promise((ok, fail) => {
  server.stdout.on('data', (d) => {
    const m = /listening on (http:\/\/\S+)/.exec(String(d));
    if (m) ok(m[1]);
  });
  server.on('exit', (code) => fail(new Error(`dev server exited (${code})`)));
});
const kinds = live ? [['adsb', 'ADS-B'], ['mlat', 'MLAT']] : [['mlat', 'MLAT'], ['tisb', 'TIS-B'], ['adsb', 'ADS-B']];

const failures = [];
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => failures.push(`uncaught ${e.message}`));
  await page.goto(`${base}/#map`);
  await page.waitForFunction(() => Number(document.getElementById('map')?.dataset.aircraftDrawn) > 0, null, { timeout: 30000 });
  const counts = await page.evaluate(() => {
    const el = document.getElementById('map');
    const all = [...window.cloudradar.store.aircraft.values()].map((r) => r.a);
    const drawn = new Set(window.cloudradar.drawnHexes());
    return {
      drawnMlat: Number(el.dataset.mlatDrawn),
      mlatInView: all.filter((a) => drawn.has(a.hex) && a.mlat?.includes('lat')).length,
      mlat: all.find((a) => a.type === 'mlat')?.hex,
      tisb: all.find((a) => a.type === 'tisb_icao')?.hex,
      adsb: all.find((a) => a.type === 'adsb_icao')?.hex,
    };
  });
  console.log(`  ${counts.drawnMlat} aircraft drawn with the MLAT outline, ${counts.mlatInView} multilaterated in view`);
  if (!(counts.drawnMlat > 0) || counts.drawnMlat !== counts.mlatInView) {
    failures.push(`MLAT outline on ${counts.drawnMlat} aircraft, ${counts.mlatInView} multilaterated drawn`);
  }
  for (const [kind, want] of kinds) {
    const hex = counts[kind];
    if (!hex) {
      failures.push(`no ${kind} aircraft in the ${live ? 'live' : 'synthetic'} feed`);
      continue;
    }
    await page.evaluate((h) => window.cloudradar.select(h), hex);
    const got = await page.locator('[data-testid="details-source"]').textContent({ timeout: 10000 });
    console.log(`  ${hex} (${kind}): position source "${got}"`);
    if (got !== want) failures.push(`${hex}: details-source "${got}", expected "${want}"`);
  }
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, live ? 'source-live.png' : 'source.png') });
} finally {
  await browser.close();
  server?.kill();
}
if (failures.length) {
  console.error(failures.map((f) => `FAIL: ${f}`).join('\n'));
  process.exit(1);
}
console.log('source test passed');
