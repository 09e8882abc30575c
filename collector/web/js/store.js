// Client-side state: the live aircraft (by hex) with their trails, the
// selection, and a tiny event bus the views subscribe to.

import { altColor } from './colors.js';

/** Web Mercator at zoom 0 (256 px world), as Leaflet's EPSG:3857 projects. */
export function mercator(lat, lon) {
  const s = Math.max(-0.9999, Math.min(0.9999, Math.sin((lat * Math.PI) / 180)));
  return [((lon + 180) / 360) * 256, (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * 256];
}

export const TRAIL_POINTS = 60;

const listeners = new Map();
export function on(event, fn) {
  if (!listeners.has(event)) listeners.set(event, new Set());
  listeners.get(event).add(fn);
}
export function emit(event, arg) {
  for (const fn of listeners.get(event) ?? []) {
    try {
      fn(arg);
    } catch (e) {
      console.warn(`listener for ${event} failed`, e);
    }
  }
}

export const store = {
  /** hex -> { a: the readsb object, x, y: mercator or NaN, color, trail: [[x, y, color], ...] } */
  aircraft: new Map(),
  /** Server time of the latest snapshot, seconds. */
  now: 0,
  messages: 0,
  /** Messages per second, from the counter's change between snapshots. */
  rate: null,
  withPosition: 0,
  selected: null,
  updates: 0,
};

let lastMsg = null;

/** Applies one aircraft.json snapshot. */
export function applySnapshot(snap) {
  if (!snap || !Array.isArray(snap.aircraft)) return;
  const seen = new Set();
  let withPos = 0;
  for (const a of snap.aircraft) {
    if (!a || typeof a.hex !== 'string') continue;
    seen.add(a.hex);
    let rec = store.aircraft.get(a.hex);
    if (!rec) {
      rec = { a, x: NaN, y: NaN, color: '', trail: [] };
      store.aircraft.set(a.hex, rec);
    }
    rec.a = a;
    rec.color = altColor(a.alt_baro);
    if (typeof a.lat === 'number' && typeof a.lon === 'number') {
      withPos++;
      const [x, y] = mercator(a.lat, a.lon);
      const t = rec.trail;
      const last = t[t.length - 1];
      if (!last || Math.abs(last[0] - x) > 1e-7 || Math.abs(last[1] - y) > 1e-7) {
        t.push([x, y, rec.color]);
        if (t.length > TRAIL_POINTS) t.splice(0, t.length - TRAIL_POINTS);
      }
      rec.x = x;
      rec.y = y;
    } else {
      rec.x = rec.y = NaN;
    }
  }
  for (const hex of store.aircraft.keys()) if (!seen.has(hex)) store.aircraft.delete(hex);

  const now = typeof snap.now === 'number' ? snap.now : Date.now() / 1000;
  if (lastMsg && now > lastMsg.now && snap.messages >= lastMsg.messages) {
    const r = (snap.messages - lastMsg.messages) / (now - lastMsg.now);
    store.rate = store.rate == null ? r : store.rate * 0.6 + r * 0.4;
  }
  lastMsg = { now, messages: snap.messages };
  store.now = now;
  store.messages = snap.messages;
  store.withPosition = withPos;
  store.updates++;
  emit('update');
}

export function select(hex) {
  store.selected = hex && store.aircraft.has(hex) ? hex : hex || null;
  emit('select', store.selected);
}
