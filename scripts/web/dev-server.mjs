// Dev helper for the dashboard: serves collector/web as static files and
// forwards everything else (/api, /data, /healthz, /metrics) to a running
// collector, so the page can be worked on before (or without) rebuilding
// the collector binary.
//
//   node scripts/web/dev-server.mjs [--port 8090] [--upstream http://127.0.0.1:8080]
//   node scripts/web/dev-server.mjs --synthetic 5000      # no collector needed
//
// --synthetic N answers the API itself with N moving aircraft and three
// receivers (every tenth aircraft multilaterated, every 25th TIS-B),
// including the stream/coverage/rates endpoints, for
// performance work and for endpoints the collector does not have yet.
// --fallthrough: in synthetic mode, forward unknown paths upstream.
// Prints "listening on http://127.0.0.1:PORT" once ready.
import { createServer, request } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', 'collector', 'web');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const port = Number(opt('port', '8090'));
const upstream = new URL(opt('upstream', 'http://127.0.0.1:8080'));
const synthetic = Number(opt('synthetic', '0'));

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.geojson': 'application/geo+json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.ico': 'image/x-icon',
};

/** Static file under collector/web, or null. */
async function serveStatic(pathname, res) {
  const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1));
  const file = normalize(join(root, rel));
  if (!file.startsWith(root + sep)) return false;
  try {
    const st = await stat(file);
    if (!st.isFile()) return false;
    const body = await readFile(file);
    res.writeHead(200, {
      'content-type': types[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    });
    res.end(body);
    return true;
  } catch {
    return false;
  }
}

function proxy(req, res) {
  const up = request(
    {
      hostname: upstream.hostname,
      port: upstream.port,
      path: req.url,
      method: req.method,
      headers: { ...req.headers, host: upstream.host },
    },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  up.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`upstream ${upstream.href}: ${e.message}`);
  });
  res.on('close', () => up.destroy());
  req.pipe(up);
}

// ---------------------------------------------------------------- synthetic

function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeSynthetic(n) {
  const rnd = mulberry32(42);
  const centre = [52.3086, 4.7639];
  const receivers = [
    { id: 'sim-1', lat: 52.3086, lon: 4.7639 },
    { id: 'sim-2', lat: 51.769, lon: 4.7639 },
    { id: 'sim-3', lat: 52.8482, lon: 4.7639 },
  ];
  const airlines = ['KLM', 'DLH', 'BAW', 'EZY', 'RYR', 'AFR', 'UAL', 'IBE', 'SAS', 'TRA'];
  const cats = ['A1', 'A2', 'A3', 'A5', 'A7', 'B1'];
  const started = Date.now();
  const planes = [];
  for (let i = 0; i < n; i++) {
    const ground = rnd() < 0.05;
    planes.push({
      hex: (0x400000 + i * 7).toString(16).padStart(6, '0'),
      flight: `${airlines[i % airlines.length]}${100 + ((i * 37) % 9000)}`,
      lat0: centre[0] + (rnd() - 0.5) * 8,
      lon0: centre[1] + (rnd() - 0.5) * 14,
      track: rnd() * 360,
      gs: ground ? 12 : 180 + rnd() * 300,
      alt: ground ? 'ground' : Math.round((500 + rnd() * 42000) / 25) * 25,
      rate: ground ? 0 : Math.round((rnd() - 0.5) * 4000 / 64) * 64,
      squawk: i === 3 ? '7700' : i === 11 ? '7600' : String(1000 + ((i * 131) % 6777)).padStart(4, '0'),
      category: cats[i % cats.length],
      rx: receivers.filter(() => rnd() < 0.7).map((r) => r.id),
      turn: (rnd() - 0.5) * 0.6,
    });
  }
  let messages = 0;
  const state = () => {
    const t = (Date.now() - started) / 1000;
    messages += n * 6;
    return {
      now: Date.now() / 1000,
      messages,
      aircraft: planes.map((p, i) => {
        const track = (p.track + p.turn * t + 360) % 360;
        const dist = (p.gs * t) / 3600 / 60; // degrees, roughly
        const rad = (track * Math.PI) / 180;
        // Every tenth aircraft multilaterated, every 25th from TIS-B, as
        // readsb writes them (type, the field lists, nic/rc 0 for MLAT).
        const src = i % 10 === 9 ? 'mlat' : i % 25 === 24 ? 'tisb' : 'adsb';
        const pos = ['lat', 'lon', 'nic', 'rc'];
        return {
          hex: p.hex,
          type: src === 'mlat' ? 'mlat' : src === 'tisb' ? 'tisb_icao' : 'adsb_icao',
          mlat: src === 'mlat' ? ['altitude', 'gs', 'track', ...pos] : [],
          tisb: src === 'tisb' ? ['altitude', 'gs', 'track', ...pos] : [],
          flight: p.flight.padEnd(8),
          squawk: p.squawk,
          emergency: p.squawk === '7700' ? 'general' : p.squawk === '7600' ? 'nordo' : 'none',
          category: p.category,
          alt_baro: p.alt,
          alt_geom: typeof p.alt === 'number' ? p.alt + 125 : undefined,
          gs: Math.round(p.gs * 10) / 10,
          track: Math.round(track * 100) / 100,
          baro_rate: p.rate,
          nic: src === 'mlat' ? 0 : 8,
          rc: src === 'mlat' ? 0 : 186,
          nac_p: src === 'mlat' ? undefined : 9,
          lat: p.lat0 + dist * Math.cos(rad),
          lon: p.lon0 + (dist * Math.sin(rad)) / Math.cos((p.lat0 * Math.PI) / 180),
          seen_pos: 0.4,
          seen: 0.2,
          messages: Math.round(t * 6),
          rssi: -3 - (p.hex.charCodeAt(5) % 20),
          receivers: p.rx,
        };
      }),
    };
  };
  return { receivers, state, started };
}

function json(res, code, body) {
  res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
  res.end(JSON.stringify(body));
}

function syntheticApi(syn, url, req, res) {
  const p = url.pathname;
  if (p === '/api/v1/aircraft' || p === '/data/aircraft.json') return json(res, 200, syn.state()), true;
  if (p === '/data/receiver.json') return json(res, 200, { version: 'synthetic', refresh: 1000, history: 0, lat: 52.3086, lon: 4.7639 }), true;
  if (p === '/api/v1/stream') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = () => res.write(`event: aircraft\ndata: ${JSON.stringify(syn.state())}\n\n`);
    send();
    const timer = setInterval(send, 1000);
    res.on('close', () => clearInterval(timer));
    return true;
  }
  if (p === '/api/v1/receivers') {
    const now = Date.now();
    return json(res, 200, {
      receivers: syn.receivers.map((r, i) => ({
        id: r.id, first_seen_ms: syn.started, last_seen_ms: i === 2 ? now - 600_000 : now,
        online: i !== 2, lat: r.lat, lon: r.lon, version: '0.1.0',
        frames: Math.round((now - syn.started) * 3), batches: Math.round((now - syn.started) / 1000),
      })),
    }), true;
  }
  let m = p.match(/^\/api\/v1\/receivers\/([^/]+)\/coverage$/);
  if (m) {
    const seed = m[1].charCodeAt(m[1].length - 1);
    const r = mulberry32(seed);
    return json(res, 200, {
      receiver: m[1], sector_degrees: 10,
      max_range_m: Array.from({ length: 36 }, (_, i) => (i === 7 ? null : Math.round(150_000 + r() * 200_000 + 60_000 * Math.sin(i / 3)))),
    }), true;
  }
  m = p.match(/^\/api\/v1\/receivers\/([^/]+)\/rates$/);
  if (m) {
    const minutes = Number(url.searchParams.get('minutes') ?? 60);
    const now = Math.floor(Date.now() / 1000);
    const points = [];
    for (let t = now - minutes * 60; t <= now; t += 60) points.push({ t, messages_per_s: 800 + 300 * Math.sin(t / 900) + 50 * Math.sin(t / 97) });
    return json(res, 200, { receiver: m[1], points }), true;
  }
  m = p.match(/^\/api\/v1\/aircraft\/([0-9a-f]{6})$/);
  if (m) {
    const a = syn.state().aircraft.find((x) => x.hex === m[1]);
    if (!a) return json(res, 404, { code: 'not_found', message: 'not seen' }), true;
    const rad = (a.track * Math.PI) / 180;
    const track = Array.from({ length: 120 }, (_, i) => {
      const back = ((120 - i) * 5 * a.gs) / 3600 / 60;
      return [Date.now() - (120 - i) * 5000, a.lat - back * Math.cos(rad), a.lon - back * Math.sin(rad) / Math.cos((a.lat * Math.PI) / 180),
        typeof a.alt_baro === 'number' ? Math.max(0, a.alt_baro - (120 - i) * 40) : null, a.gs, a.track];
    });
    return json(res, 200, { hex: a.hex, live: a, track_fields: ['time_ms', 'lat', 'lon', 'alt_baro', 'gs', 'track'], track }), true;
  }
  if (p === '/api/v1/flights') {
    const icao = url.searchParams.get('icao');
    const cs = url.searchParams.get('callsign');
    const flights = syn.state().aircraft
      .filter((a) => (!icao || a.hex === icao) && (!cs || a.flight.trim() === cs))
      .slice(0, Number(url.searchParams.get('limit') ?? 1000))
      .map((a, i) => ({ id: i + 1, hex: a.hex, callsign: a.flight.trim(), first_seen_ms: Date.now() - 600_000, last_seen_ms: Date.now() }));
    return json(res, 200, { flights, next: null }), true;
  }
  if (p === '/api/v1/positions') {
    const a = syn.state().aircraft.find((x) => x.hex === url.searchParams.get('icao'));
    const rad = ((a?.track ?? 0) * Math.PI) / 180;
    const positions = !a ? [] : Array.from({ length: 120 }, (_, i) => {
      const back = ((120 - i) * 5 * a.gs) / 3600 / 60;
      return { id: i + 1, hex: a.hex, time_ms: Date.now() - (120 - i) * 5000, lat: a.lat - back * Math.cos(rad),
        lon: a.lon - back * Math.sin(rad) / Math.cos((a.lat * Math.PI) / 180),
        alt_baro: typeof a.alt_baro === 'number' ? Math.max(0, a.alt_baro - (120 - i) * 40) : null, gs: a.gs, track: a.track };
    });
    return json(res, 200, { positions, next: null }), true;
  }
  if (p === '/api/v1/stats') return json(res, 200, { live_aircraft: synthetic, totals: {}, health: { broker: true, redis: null, sqlite: true } }), true;
  return false;
}

// ------------------------------------------------------------------- server

const syn = synthetic > 0 ? makeSynthetic(synthetic) : null;
const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (syn && syntheticApi(syn, url, req, res)) return;
  const isApi = /^\/(api|data)\//.test(url.pathname) || ['/healthz', '/readyz', '/metrics'].includes(url.pathname);
  if (!isApi && (req.method === 'GET' || req.method === 'HEAD') && (await serveStatic(url.pathname, res))) return;
  if (syn && !args.includes('--fallthrough')) return json(res, 404, { error: `not found: ${url.pathname}` });
  proxy(req, res);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}` + (syn ? ` (synthetic, ${synthetic} aircraft)` : ` -> ${upstream.href}`));
});
