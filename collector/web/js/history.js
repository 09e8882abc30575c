// The history view: search flights by callsign or hex, pick one, replay
// its stored track on a map with a slider (and play/pause).

import { store } from './store.js';
import { apiFetch } from './api.js';
import { createBaseMap } from './map.js';
import { altColor } from './colors.js';
import { esc, dateTime, duration, clock, alt, DASH } from './format.js';

const $ = (id) => document.getElementById(id);
let hmap = null;
let trackLayer = null;
let plane = null;
let points = [];
let playing = null;
let loadSeq = 0;

export function initHistory() {
  $('history-form').addEventListener('submit', (e) => {
    e.preventDefault();
    search();
  });
  $('history-results').addEventListener('click', (e) => {
    const li = e.target.closest('li[data-flight]');
    if (!li) return;
    for (const x of $('history-results').children) x.classList.toggle('active', x === li);
    replay(JSON.parse(li.dataset.flight));
  });
  $('replay-slider').addEventListener('input', (e) => {
    stop();
    show(Number(e.target.value));
  });
  $('replay-play').addEventListener('click', () => (playing ? stop() : play()));
}

export function setHistoryVisible(v) {
  if (!v) return stop();
  if (!hmap) {
    hmap = createBaseMap('history-map', { zoomAnimation: true });
    hmap.setView([52.3, 4.76], 7);
    trackLayer = L.layerGroup().addTo(hmap);
  }
  hmap.invalidateSize();
  if (!$('history-results').children.length && !$('history-msg').textContent) search();
}

const serverNowMs = () => (store.now ? store.now * 1000 : Date.now());

async function search() {
  const q = $('history-query').value.trim();
  const range = Number($('history-range').value);
  const params = new URLSearchParams({ limit: '200' });
  if (range > 0) params.set('from', String(Math.floor(serverNowMs() - range * 1000)));
  const queries = [];
  if (!q) queries.push(params);
  else {
    if (/^~?[0-9a-f]{6}$/i.test(q)) queries.push(new URLSearchParams([...params, ['icao', q.toLowerCase()]]));
    if (/^[a-z0-9]{1,8}$/i.test(q)) queries.push(new URLSearchParams([...params, ['callsign', q.toUpperCase()]]));
    if (!queries.length) {
      $('history-msg').textContent = 'Enter a callsign (letters and digits) or a 6-digit hex address.';
      return;
    }
  }
  $('history-msg').textContent = 'Searching…';
  try {
    const results = await Promise.all(
      queries.map((p) => apiFetch(`api/v1/flights?${p}`).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))),
    );
    const byId = new Map();
    for (const r of results) for (const f of r.flights ?? []) byId.set(f.id, f);
    // Most recent first.
    const flights = [...byId.values()].sort((a, b) => b.last_seen_ms - a.last_seen_ms);
    const more = results.some((r) => r.next != null);
    $('history-msg').textContent = flights.length
      ? `${flights.length}${more ? '+' : ''} flights${q ? ` matching “${q}”` : ''}${more ? ' (first page)' : ''}`
      : `No flights${q ? ` matching “${q}”` : ''} in this period.`;
    $('history-results').innerHTML = flights
      .map(
        (f) => `<li data-testid="history-flight" data-flight='${esc(JSON.stringify(f))}'>
          <span class="cs">${esc(f.callsign?.trim() || 'No callsign')}</span><span class="hx">${esc(f.hex)}</span>
          <span class="tm">${esc(dateTime(f.first_seen_ms))} · ${esc(duration(f.last_seen_ms - f.first_seen_ms))}</span></li>`,
      )
      .join('');
  } catch (e) {
    $('history-msg').textContent = `Search failed: ${e.message}`;
  }
}

async function fetchPositions(f) {
  const out = [];
  let after = 0;
  for (let page = 0; page < 10; page++) {
    const p = new URLSearchParams({ icao: f.hex, from: String(f.first_seen_ms), to: String(f.last_seen_ms), limit: '5000' });
    if (after) p.set('after', String(after));
    const r = await apiFetch(`api/v1/positions?${p}`);
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const body = await r.json();
    out.push(...(body.positions ?? []));
    if (body.next == null) break;
    after = body.next;
  }
  return out.sort((a, b) => a.time_ms - b.time_ms);
}

async function replay(f) {
  stop();
  const seq = ++loadSeq;
  $('history-msg').textContent = `Loading ${f.callsign?.trim() || f.hex}…`;
  let pos;
  try {
    pos = await fetchPositions(f);
  } catch (e) {
    $('history-msg').textContent = `Could not load the track: ${e.message}`;
    return;
  }
  if (seq !== loadSeq) return;
  points = pos;
  trackLayer.clearLayers();
  if (!points.length) {
    $('history-msg').textContent = 'This flight has no stored positions.';
    $('replay').hidden = true;
    return;
  }
  $('history-msg').textContent = `${f.callsign?.trim() || f.hex}: ${points.length} positions`;
  const renderer = L.canvas({ padding: 0.3 });
  for (let i = 1; i < points.length; i++) {
    const p = points[i - 1], q = points[i];
    L.polyline(
      [[p.lat, p.lon], [q.lat, q.lon]],
      { color: altColor(q.alt_baro ?? undefined), weight: 3, opacity: 0.9, renderer, interactive: false },
    ).addTo(trackLayer);
  }
  plane = L.marker([points[0].lat, points[0].lon], { icon: planeIcon(0), keyboard: false, interactive: false }).addTo(trackLayer);
  hmap.fitBounds(L.latLngBounds(points.map((p) => [p.lat, p.lon])).pad(0.15));
  const slider = $('replay-slider');
  slider.max = String(points.length - 1);
  slider.value = '0';
  $('replay').hidden = false;
  show(0);
}

function planeIcon(track) {
  return L.divIcon({
    className: 'hist-plane',
    iconSize: [28, 28],
    iconAnchor: [14, 14],
    html: `<svg viewBox="0 0 32 32" width="28" height="28" style="transform:rotate(${track}deg)"><path fill="#fff" stroke="#0d131b" stroke-width="1.2" d="M16 1.5c1.2 0 1.9 1.4 1.9 3v7.6l11.1 6.6v2.5l-11.1-3.5-.3 7.5 3.5 2.6v2l-5.1-1.3-5.1 1.3v-2l3.5-2.6-.3-7.5L3 21.2v-2.5l11.1-6.6V4.5c0-1.6.7-3 1.9-3z"/></svg>`,
  });
}

function show(i) {
  const p = points[i];
  if (!p || !plane) return;
  plane.setLatLng([p.lat, p.lon]);
  plane.setIcon(planeIcon(p.track ?? 0));
  $('replay-slider').value = String(i);
  const gs = typeof p.gs === 'number' ? `${p.gs.toFixed(0)} kt` : DASH;
  $('replay-info').innerHTML = `<b>${esc(clock(p.time_ms))}</b> · ${esc(alt(p.alt_baro))} · ${esc(gs)} · ${i + 1}/${points.length}`;
}

function play() {
  if (!points.length) return;
  let i = Number($('replay-slider').value);
  if (i >= points.length - 1) i = 0;
  $('replay-play').textContent = '❚❚';
  // About 20 s for a whole flight, whatever its length.
  const stepEvery = Math.max(16, 20000 / points.length);
  const stride = Math.max(1, Math.round(16 / Math.min(16, 20000 / points.length)));
  playing = setInterval(() => {
    i = Math.min(points.length - 1, i + stride);
    show(i);
    if (i >= points.length - 1) stop();
  }, stepEvery);
}

function stop() {
  if (playing) clearInterval(playing);
  playing = null;
  $('replay-play').textContent = '▶';
}
