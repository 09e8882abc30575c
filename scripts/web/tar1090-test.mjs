// tar1090 (the real web UI readsb users run) in headless Chromium against
// a live collector: serves tar1090's html/ directory and forwards /data/*
// to the collector, the way tar1090's own nginx setup does.
//
//   node scripts/web/tar1090-test.mjs <collector-url> <tar1090-html-dir> <site-lat> <site-lon> [screenshot-dir]
//
// Checks, from tar1090's own state (its globals SiteLat/SiteLon, OLMap and
// g.planesOrdered, as script.js and planeObject.js keep them):
// - it takes the site from receiver.json and centres the map on it;
// - over SAMPLE_S seconds of polls, no aircraft with a fresh position
//   (seen_pos < 15 s: ADS-B, there is no MLAT) shows as Mode S
//   (addrtype "mode_s"), and aircraft with positions show as adsb_icao.
// Requests to hosts other than localhost (map tiles) are refused.
// Exits 0 on success, 1 with the failed checks listed.
//
// Environment: CHROMIUM (default /usr/bin/chromium), SAMPLE_S (default 30).
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { tmpdir } from 'node:os';

const [collectorArg, htmlArg, latArg, lonArg, shotArg] = process.argv.slice(2);
if (!collectorArg || !htmlArg || latArg === undefined || lonArg === undefined) {
  console.error('usage: node scripts/web/tar1090-test.mjs <collector-url> <tar1090-html-dir> <site-lat> <site-lon> [screenshot-dir]');
  process.exit(2);
}
const collector = new URL(collectorArg);
const html = resolve(htmlArg);
const site = { lat: Number(latArg), lon: Number(lonArg) };
const shots = resolve(shotArg || 'tar1090-screenshots');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const SAMPLE_S = Number(process.env.SAMPLE_S || 30);
const { chromium } = await import('playwright-core');

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.json': 'application/json', '.ico': 'image/x-icon', '.gif': 'image/gif',
};

/** tar1090's html/ as static files; /data/* forwarded to the collector. */
function serve(req, res) {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path.startsWith('/data/')) {
    const up = httpRequest(
      { host: collector.hostname, port: collector.port, path: req.url, method: req.method, headers: { accept: 'application/json' } },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    up.end();
    return;
  }
  const file = normalize(join(html, path === '/' ? 'index.html' : path));
  if (!file.startsWith(html) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
}

const server = createServer(serve);
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;
console.log(`tar1090 at ${base}/ (data from ${collector.origin})`);

const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

mkdirSync(shots, { recursive: true });
const userDataDir = mkdtempSync(join(tmpdir(), 'cloudradar-tar1090-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  viewport: { width: 1440, height: 900 },
});
context.setDefaultTimeout(60000);
try {
  await context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return host === '127.0.0.1' || host === 'localhost' ? route.continue() : route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.log(`  page error: ${e.message}`));
  await page.goto(`${base}/`, { waitUntil: 'load' });
  await page.waitForFunction(() => typeof OLMap !== 'undefined' && OLMap && g.planesOrdered.length > 0);

  const view = await page.evaluate(() => {
    const [lon, lat] = ol.proj.toLonLat(OLMap.getView().getCenter());
    return { siteLat: SiteLat, siteLon: SiteLon, lat, lon };
  });
  console.log(`  tar1090 site ${view.siteLat},${view.siteLon}; map centre ${view.lat.toFixed(4)},${view.lon.toFixed(4)}`);
  check(Math.abs(view.siteLat - site.lat) < 1e-6 && Math.abs(view.siteLon - site.lon) < 1e-6,
    `tar1090's site is receiver.json's ${site.lat},${site.lon}`);
  check(Math.abs(view.lat - site.lat) < 0.01 && Math.abs(view.lon - site.lon) < 0.01,
    `the map is centred on the site (got ${view.lat.toFixed(4)},${view.lon.toFixed(4)})`);

  const modeS = new Set();
  const adsb = new Set();
  for (let s = 0; s < SAMPLE_S; s++) {
    const sample = await page.evaluate(() => g.planesOrdered
      .filter((p) => Number.isFinite(p.seen_pos) && p.seen_pos < 15 && p.position)
      .map((p) => ({ hex: p.icao, type: p.addrtype, source: p.dataSource })));
    for (const p of sample) {
      if (p.type === 'mode_s' || p.source === 'modeS') modeS.add(p.hex);
      if (p.type === 'adsb_icao') adsb.add(p.hex);
    }
    await page.waitForTimeout(1000);
  }
  console.log(`  ${SAMPLE_S} s of polls: ${adsb.size} aircraft with positions shown as adsb_icao, ${modeS.size} shown as Mode S at least once`);
  check(adsb.size >= 5, `aircraft with positions show as adsb_icao (${adsb.size})`);
  check(modeS.size === 0, `no ADS-B aircraft shows as Mode S (${[...modeS].slice(0, 5).join(', ')})`);
  await page.screenshot({ path: join(shots, 'tar1090.png') });
  console.log(`  screenshot ${join(shots, 'tar1090.png')}`);
} catch (e) {
  failures.push(`tar1090 did not run: ${e.message.split('\n')[0]}`);
  console.log(`FAIL ${failures.at(-1)}`);
} finally {
  await context.close();
  server.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
if (failures.length) {
  console.error(`${failures.length} check(s) failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('tar1090 checks passed');
