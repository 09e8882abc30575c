// Rendering performance check: opens the dashboard against a dev server
// in synthetic mode (node scripts/web/dev-server.mjs --synthetic 5000),
// lets trails build up, then pans the map and reports the canvas draw
// time and the frame rate the page achieved. Also reports the first load:
// navigation to all aircraft drawn, DOMContentLoaded, load, bytes.
//
//   node scripts/web/perf-test.mjs http://127.0.0.1:8090 [warmup-seconds=30] [max-draw-ms=50]
import { chromium } from 'playwright-core';

const base = (process.argv[2] ?? 'http://127.0.0.1:8090').replace(/\/+$/, '');
const warmup = Number(process.argv[3] ?? 30);
const maxDraw = Number(process.argv[4] ?? 50);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
// First load: from navigation to every aircraft the API lists drawn on the
// map (a cold page, nothing cached).
const loadStart = Date.now();
await page.goto(`${base}/#map`);
await page.waitForFunction(() => {
  const drawn = Number(document.getElementById('map').dataset.aircraftDrawn);
  return drawn > 0 && drawn >= (window.cloudradar?.store?.aircraft?.size ?? Infinity) * 0.9;
}, null, { polling: 10 });
const firstLoad = {
  aircraftDrawnMs: Date.now() - loadStart,
  ...(await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    return {
      domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd),
      loadEventMs: Math.round(nav.loadEventEnd),
      transferredKiB: Math.round(performance.getEntriesByType('resource')
        .reduce((n, r) => n + (r.transferSize || 0), nav.transferSize || 0) / 1024),
    };
  })),
};
console.log(`first load: ${JSON.stringify(firstLoad)}`);
console.log(`warming up ${warmup} s (trails accumulate)…`);
await page.waitForTimeout(warmup * 1000);
const r = await page.evaluate(async () => {
  const el = document.getElementById('map');
  const draws = [];
  const obs = new MutationObserver(() => draws.push(Number(el.dataset.drawMs)));
  obs.observe(el, { attributes: true, attributeFilter: ['data-draw-ms'] });
  const { map } = await import('./js/map.js');
  let frames = 0;
  const t0 = performance.now();
  await new Promise((done) => {
    const tick = () => {
      frames++;
      map.panBy([3, 2], { animate: false });
      if (performance.now() - t0 < 5000) requestAnimationFrame(tick);
      else done();
    };
    requestAnimationFrame(tick);
  });
  obs.disconnect();
  const secs = (performance.now() - t0) / 1000;
  draws.sort((a, b) => a - b);
  return {
    aircraft: window.cloudradar.store.aircraft.size,
    drawn: Number(el.dataset.aircraftDrawn),
    trailPoints: [...window.cloudradar.store.aircraft.values()].reduce((n, r) => n + r.trail.length, 0),
    fps: frames / secs,
    drawMedian: draws[Math.floor(draws.length / 2)],
    drawP95: draws[Math.floor(draws.length * 0.95)],
  };
});
await browser.close();
console.log(JSON.stringify(r));
if (!(r.drawP95 <= maxDraw)) {
  console.error(`FAIL: 95th percentile draw ${r.drawP95} ms > ${maxDraw} ms`);
  process.exit(1);
}
console.log(`ok: ${r.drawn} aircraft, ${r.trailPoints} trail points, draw median ${r.drawMedian} ms, p95 ${r.drawP95} ms, ${r.fps.toFixed(0)} fps while panning`);
