// The receivers view: one card per receiver with status, position,
// version and counters, a coverage polar plot (maximum range per 10°
// sector, canvas) and messages/s over the last hour (uPlot). Receiver
// positions also go to the map.

import { store, on } from './store.js';
import { apiFetch } from './api.js';
import { esc, ago, dateTime, latlon, DASH } from './format.js';

const $ = (id) => document.getElementById(id);
const cards = new Map(); // id -> { el, chart, chartEl, polar, lastRates, lastCoverage }
let receivers = [];
let visible = false;
let onList = () => {};
let detailTimer = null;

export function initReceivers({ onReceivers }) {
  onList = onReceivers;
  loadList();
  setInterval(loadList, 10000);
  on('update', () => visible && updateLiveCounts());
  window.addEventListener('resize', () => {
    for (const c of cards.values()) sizeChart(c);
  });
}

export function setReceiversVisible(v) {
  visible = v;
  if (v) {
    loadList();
    loadDetails();
    clearInterval(detailTimer);
    detailTimer = setInterval(loadDetails, 30000);
    for (const c of cards.values()) sizeChart(c);
  } else {
    clearInterval(detailTimer);
  }
}

async function getJson(url) {
  const r = await apiFetch(url, { cache: 'no-store' });
  if (!r.ok) {
    const e = new Error(`HTTP ${r.status}`);
    e.status = r.status;
    throw e;
  }
  return r.json();
}

async function loadList() {
  try {
    const body = await getJson('api/v1/receivers');
    receivers = Array.isArray(body.receivers) ? body.receivers : [];
    onList(receivers);
    render();
  } catch (e) {
    $('receivers-summary').textContent = `Could not load receivers (${e.message})`;
  }
}

function nowMs() {
  // Server time when known: the dashboard's clock may differ from the collector's.
  return store.now ? Math.max(store.now * 1000, Date.now() - 5000) : Date.now();
}

function render() {
  const list = $('receivers-list');
  const online = receivers.filter((r) => r.online).length;
  $('receivers-summary').textContent = `${receivers.length} receivers · ${online} online`;
  if (!receivers.length) {
    list.innerHTML = '<div class="muted">No receiver has reported yet.</div>';
    cards.clear();
    return;
  }
  for (const id of [...cards.keys()]) {
    if (!receivers.some((r) => r.id === id)) {
      cards.get(id).el.remove();
      cards.delete(id);
    }
  }
  for (const r of receivers) {
    let c = cards.get(r.id);
    if (!c) {
      c = createCard(r);
      cards.set(r.id, c);
      list.appendChild(c.el);
      if (visible) loadDetailsFor(c, r.id);
    }
    const el = c.el;
    const badge = el.querySelector('[data-field=status]');
    badge.textContent = r.online ? 'online' : 'offline';
    badge.className = `badge ${r.online ? 'ok' : 'off'}`;
    el.dataset.online = String(!!r.online);
    const set = (k, v) => (el.querySelector(`[data-field=${k}]`).textContent = v);
    set('last', ago((nowMs() - r.last_seen_ms) / 1000));
    el.querySelector('[data-field=last]').title = dateTime(r.last_seen_ms);
    set('first', dateTime(r.first_seen_ms).slice(5, 16));
    el.querySelector('[data-field=first]').title = dateTime(r.first_seen_ms);
    set('pos', latlon(r.lat, r.lon));
    set('version', r.version ?? DASH);
    set('frames', (r.frames ?? 0).toLocaleString('en-US'));
    set('batches', (r.batches ?? 0).toLocaleString('en-US'));
    // Until the rates endpoint answers, derive frames/s from the counter.
    if (c.prev && !c.hasRates && r.last_seen_ms > c.prev.t && r.frames >= c.prev.frames) {
      const rate = ((r.frames - c.prev.frames) * 1000) / (r.last_seen_ms - c.prev.t);
      set('rate', r.online ? rate.toFixed(0) : '0');
      // Keep an hour of these so the chart has something to show meanwhile.
      c.local = [...(c.local ?? []), { t: r.last_seen_ms / 1000, messages_per_s: rate }].slice(-360);
      if (c.local.length >= 2 && c.ratesMissing) {
        c.chartEl.hidden = false;
        c.el.querySelector('[data-field=rate-na]').hidden = true;
        c.el.querySelector('[data-field=rate-label]').textContent = 'Frames/s · since page opened';
        drawRates(c, c.local);
      }
    }
    c.prev = { t: r.last_seen_ms, frames: r.frames };
  }
  updateLiveCounts();
}

function updateLiveCounts() {
  const counts = new Map();
  for (const rec of store.aircraft.values()) {
    for (const id of rec.a.receivers ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  for (const [id, c] of cards) c.el.querySelector('[data-field=aircraft]').textContent = String(counts.get(id) ?? 0);
}

function createCard(r) {
  const el = document.createElement('article');
  el.className = 'card';
  el.dataset.testid = 'receiver-card';
  el.dataset.receiverId = r.id;
  el.innerHTML = `
    <div class="card-head">
      <h2 data-testid="receiver-id">${esc(r.id)}</h2>
      <span class="badge" data-field="status" data-testid="receiver-status"></span>
      <span class="rate" title="Messages per second (latest minute)"><b data-field="rate">${DASH}</b> msg/s</span>
    </div>
    <dl class="kv">
      <div><dt>Last seen</dt><dd data-field="last" data-testid="receiver-last-seen"></dd></div>
      <div><dt>Aircraft now</dt><dd data-field="aircraft"></dd></div>
      <div><dt>Version</dt><dd data-field="version"></dd></div>
      <div><dt>Frames</dt><dd data-field="frames"></dd></div>
      <div><dt>Batches</dt><dd data-field="batches"></dd></div>
      <div><dt>Max range</dt><dd data-field="maxrange">${DASH}</dd></div>
      <div class="wide"><dt>Position</dt><dd data-field="pos"></dd></div>
      <div><dt>First seen</dt><dd data-field="first"></dd></div>
    </dl>
    <div class="card-plots">
      <div class="plot-box">
        <div class="label">Coverage</div>
        <canvas class="polar" data-testid="coverage-plot" width="312" height="312"></canvas>
        <div class="na" data-field="cov-na" hidden></div>
      </div>
      <div class="plot-box">
        <div class="label" data-field="rate-label">Messages/s · last hour</div>
        <div class="rate-chart" data-testid="rate-chart"></div>
        <div class="na" data-field="rate-na" hidden></div>
      </div>
    </div>`;
  const c = { el, chart: null, chartEl: el.querySelector('.rate-chart'), polar: el.querySelector('canvas.polar') };
  drawPolar(c.polar, null);
  return c;
}

function loadDetails() {
  for (const [id, c] of cards) loadDetailsFor(c, id);
}

async function loadDetailsFor(c, id) {
  const enc = encodeURIComponent(id);
  // An endpoint this collector does not have (404) is asked again only every 5 minutes.
  const now = Date.now();
  const ask = (kind, url) =>
    (c.skip?.[kind] ?? 0) > now
      ? Promise.reject(Object.assign(new Error('HTTP 404'), { status: 404 }))
      : getJson(url).catch((e) => {
          if (e.status === 404) c.skip = { ...c.skip, [kind]: now + 300000 };
          throw e;
        });
  const [cov, rates] = await Promise.allSettled([
    ask('coverage', `api/v1/receivers/${enc}/coverage`),
    ask('rates', `api/v1/receivers/${enc}/rates?minutes=60`),
  ]);
  const covNa = c.el.querySelector('[data-field=cov-na]');
  if (cov.status === 'fulfilled' && Array.isArray(cov.value.max_range_m)) {
    covNa.hidden = true;
    c.polar.hidden = false;
    drawPolar(c.polar, cov.value);
    const vals = cov.value.max_range_m.filter((v) => typeof v === 'number');
    c.el.querySelector('[data-field=maxrange]').textContent = vals.length ? `${(Math.max(...vals) / 1852).toFixed(0)} NM` : DASH;
  } else {
    c.polar.hidden = true;
    covNa.hidden = false;
    covNa.textContent = cov.reason?.status === 404 ? 'Coverage not available from this collector' : 'Coverage could not be loaded';
  }
  const rateNa = c.el.querySelector('[data-field=rate-na]');
  if (rates.status === 'fulfilled' && Array.isArray(rates.value.points) && rates.value.points.length < 2) {
    // One point per minute: a line needs two.
    c.hasRates = true;
    c.ratesMissing = false;
    c.chartEl.hidden = true;
    rateNa.hidden = false;
    rateNa.textContent = 'Collecting data (one point per minute)…';
    const last = rates.value.points[0];
    if (last) c.el.querySelector('[data-field=rate]').textContent = last.messages_per_s.toFixed(0);
  } else if (rates.status === 'fulfilled' && Array.isArray(rates.value.points)) {
    rateNa.hidden = true;
    c.chartEl.hidden = false;
    c.hasRates = true;
    c.ratesMissing = false;
    c.el.querySelector('[data-field=rate-label]').textContent = 'Messages/s · last hour';
    drawRates(c, rates.value.points);
    const last = rates.value.points[rates.value.points.length - 1];
    c.el.querySelector('[data-field=rate]').textContent = last ? last.messages_per_s.toFixed(0) : DASH;
  } else {
    c.hasRates = false;
    c.ratesMissing = true;
    if (c.local?.length >= 2) {
      rateNa.hidden = true;
      c.chartEl.hidden = false;
      c.el.querySelector('[data-field=rate-label]').textContent = 'Frames/s · since page opened';
      drawRates(c, c.local);
    } else {
      c.chartEl.hidden = true;
      rateNa.hidden = false;
      rateNa.textContent = rates.reason?.status === 404 ? 'Rates not available from this collector' : 'Rates could not be loaded';
    }
  }
}

/** A polar plot of maximum range per sector; north up, rings in nautical miles. */
function drawPolar(canvas, cov) {
  const ctx = canvas.getContext('2d');
  const S = canvas.width;
  const k = S / 156;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, S, S);
  ctx.scale(k, k);
  const cx = 78, cy = 78, R = 64;
  const ranges = cov?.max_range_m ?? [];
  const vals = ranges.filter((v) => typeof v === 'number');
  const maxNm = vals.length ? Math.max(...vals) / 1852 : 200;
  const step = [10, 25, 50, 100, 150, 200].find((s) => maxNm / s <= 4) ?? 250;
  const outer = Math.max(step, Math.ceil(maxNm / step) * step);

  ctx.strokeStyle = '#263445';
  ctx.lineWidth = 1;
  ctx.fillStyle = '#8496a9';
  ctx.font = '9px system-ui, sans-serif';
  for (let ring = step; ring <= outer; ring += step) {
    ctx.beginPath();
    ctx.arc(cx, cy, (ring / outer) * R, 0, 2 * Math.PI);
    ctx.stroke();
  }
  // Ring labels last, outlined, along the south-east diagonal.
  const ringLabels = () => {
    ctx.font = '9px system-ui, sans-serif';
    ctx.lineWidth = 3;
    ctx.strokeStyle = '#0d131b';
    ctx.fillStyle = '#8496a9';
    for (let ring = step; ring <= outer; ring += step) {
      const r = (ring / outer) * R;
      const text = ring === outer ? `${ring} NM` : `${ring}`;
      const x = cx + r * Math.SQRT1_2 - 2, y = cy + r * Math.SQRT1_2 + 3;
      ctx.strokeText(text, x, y);
      ctx.fillText(text, x, y);
    }
  };
  for (let deg = 0; deg < 360; deg += 30) {
    const rad = ((deg - 90) * Math.PI) / 180;
    ctx.beginPath();
    ctx.moveTo(cx, cy);
    ctx.lineTo(cx + R * Math.cos(rad), cy + R * Math.sin(rad));
    ctx.stroke();
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.font = '600 10px system-ui, sans-serif';
  for (const [t, deg] of [['N', 0], ['E', 90], ['S', 180], ['W', 270]]) {
    const rad = ((deg - 90) * Math.PI) / 180;
    ctx.fillText(t, cx + (R + 8) * Math.cos(rad), cy + (R + 8) * Math.sin(rad));
  }
  ctx.textAlign = 'start';
  ctx.textBaseline = 'alphabetic';
  if (!vals.length) return ringLabels();

  const sector = cov.sector_degrees || 360 / ranges.length;
  ctx.beginPath();
  ranges.forEach((v, i) => {
    if (typeof v !== 'number') return;
    const r = (v / 1852 / outer) * R;
    const a0 = ((i * sector - 90) * Math.PI) / 180;
    const a1 = (((i + 1) * sector - 90) * Math.PI) / 180;
    ctx.moveTo(cx, cy);
    ctx.arc(cx, cy, r, a0, a1);
    ctx.closePath();
  });
  ctx.fillStyle = 'rgba(76, 194, 255, .35)';
  ctx.fill();
  ctx.strokeStyle = 'rgba(76, 194, 255, .9)';
  ctx.stroke();
  ringLabels();
}

function chartWidth(c) {
  return Math.max(160, c.chartEl.parentElement.clientWidth - 14);
}

function sizeChart(c) {
  if (c.chart && c.chartEl.parentElement.clientWidth > 0) c.chart.setSize({ width: chartWidth(c), height: 156 });
}

function drawRates(c, points) {
  const xs = points.map((p) => p.t);
  const ys = points.map((p) => p.messages_per_s);
  if (c.chart) {
    c.chart.setData([xs, ys]);
    return;
  }
  if (typeof uPlot === 'undefined') return;
  const axis = {
    stroke: '#8496a9',
    grid: { stroke: '#1f2b39', width: 1 },
    ticks: { stroke: '#263445', width: 1 },
    font: '11px system-ui, sans-serif',
  };
  c.chart = new uPlot(
    {
      width: chartWidth(c),
      height: 156,
      legend: { show: false },
      cursor: { y: false, points: { size: 6 } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [{ ...axis }, { ...axis, size: 44 }],
      series: [{}, { label: 'msg/s', stroke: '#4cc2ff', width: 1.5, fill: 'rgba(76,194,255,.12)', points: { show: false } }],
    },
    [xs, ys],
    c.chartEl,
  );
}
