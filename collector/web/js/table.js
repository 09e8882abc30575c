// The aircraft table: sortable by any column, filtered by free text,
// emergency squawks highlighted. Virtualised: only the rows in view
// exist in the DOM, so thousands of aircraft stay cheap.

import { store, on, select } from './store.js';
import { DASH, esc, callsign, emergencyOf } from './format.js';

const ROW_H = 30;
const OVERSCAN = 12;

const n = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const altNum = (a) => (a.alt_baro === 'ground' ? -1 : n(a.alt_baro));
const fmt = (v, d = 0) => (v == null ? DASH : v.toFixed(d));

// key, title, value for sorting, cell html, classes
const COLUMNS = [
  { key: 'flight', title: 'Callsign', val: (a) => callsign(a) || null, cell: (a) => esc(callsign(a) || DASH) },
  { key: 'hex', title: 'Hex', val: (a) => a.hex, cell: (a) => `<span class="mono">${esc(a.hex)}</span>` },
  { key: 'squawk', title: 'Squawk', val: (a) => a.squawk ?? null, cell: (a) => esc(a.squawk ?? DASH), cls: 'squawk mono' },
  {
    key: 'alt', title: 'Altitude', num: true, val: altNum,
    cell: (a, rec) => `<span class="swatch" style="background:${rec.color}"></span>${a.alt_baro === 'ground' ? 'ground' : fmt(n(a.alt_baro))}`,
  },
  { key: 'gs', title: 'Speed', num: true, val: (a) => n(a.gs), cell: (a) => fmt(n(a.gs)) },
  { key: 'track', title: 'Track', num: true, val: (a) => n(a.track), cell: (a) => (n(a.track) == null ? DASH : `${fmt(a.track)}°`), opt: true },
  { key: 'vs', title: 'V/S', num: true, val: (a) => n(a.baro_rate ?? a.geom_rate), cell: (a) => fmt(n(a.baro_rate ?? a.geom_rate)), opt: true },
  { key: 'cat', title: 'Cat', val: (a) => a.category ?? null, cell: (a) => esc(a.category ?? DASH), opt: true },
  { key: 'rssi', title: 'RSSI', num: true, val: (a) => n(a.rssi), cell: (a) => fmt(n(a.rssi), 1), opt: true },
  { key: 'msgs', title: 'Msgs', num: true, val: (a) => n(a.messages), cell: (a) => fmt(n(a.messages)), opt: true },
  { key: 'rx', title: 'Rx', num: true, val: (a) => (a.receivers ?? []).length, cell: (a) => String((a.receivers ?? []).length), opt: true },
  { key: 'seen', title: 'Seen', num: true, val: (a) => n(a.seen), cell: (a) => (n(a.seen) == null ? DASH : `${fmt(a.seen, 1)} s`) },
  {
    key: 'pos', title: 'Position', val: (a) => (n(a.lat) == null ? null : a.lat),
    cell: (a) => (n(a.lat) == null ? '<span class="nopos">no position</span>' : `${a.lat.toFixed(3)}, ${a.lon.toFixed(3)}`), opt: true,
  },
];

let sortKey = 'flight';
let sortDir = 1;
let filter = '';
let posOnly = false;
let emergOnly = false;
let rows = []; // sorted, filtered records
let visible = false;
let pending = false;

const $ = (id) => document.getElementById(id);

export function initTable() {
  const head = $('table-head');
  head.innerHTML = COLUMNS.map(
    (c) => `<th data-key="${c.key}" class="${c.num ? 'num' : ''} ${c.opt ? 'opt' : ''}" data-testid="th-${c.key}">${c.title}</th>`,
  ).join('');
  head.addEventListener('click', (e) => {
    const th = e.target.closest('th');
    if (!th) return;
    const key = th.dataset.key;
    if (key === sortKey) sortDir = -sortDir;
    else {
      sortKey = key;
      sortDir = COLUMNS.find((c) => c.key === key).num ? -1 : 1;
    }
    refresh();
  });
  $('table-filter').addEventListener('input', (e) => {
    filter = e.target.value.trim().toLowerCase();
    $('table-scroll').scrollTop = 0;
    refresh();
  });
  $('table-pos-only').addEventListener('change', (e) => ((posOnly = e.target.checked), refresh()));
  $('table-emerg-only').addEventListener('change', (e) => ((emergOnly = e.target.checked), refresh()));
  $('table-scroll').addEventListener('scroll', () => schedule(false), { passive: true });
  $('table-body').addEventListener('click', (e) => {
    const tr = e.target.closest('tr.row');
    if (tr) select(tr.dataset.hex);
  });
  on('update', () => visible && refresh());
  on('select', () => visible && renderRows());
}

export function setTableVisible(v) {
  visible = v;
  if (v) refresh();
}

function matches(rec) {
  const a = rec.a;
  if (posOnly && n(a.lat) == null) return false;
  if (emergOnly && !emergencyOf(a)) return false;
  if (!filter) return true;
  return (
    a.hex.includes(filter) ||
    callsign(a).toLowerCase().includes(filter) ||
    (a.squawk ?? '').includes(filter) ||
    (a.category ?? '').toLowerCase() === filter ||
    (a.receivers ?? []).some((r) => r.toLowerCase().includes(filter))
  );
}

function refresh() {
  const col = COLUMNS.find((c) => c.key === sortKey) ?? COLUMNS[0];
  rows = [];
  for (const rec of store.aircraft.values()) if (matches(rec)) rows.push(rec);
  const keyed = rows.map((rec) => [col.val(rec.a), rec]);
  keyed.sort((p, q) => {
    const a = p[0], b = q[0];
    if (a == null && b == null) return p[1].a.hex < q[1].a.hex ? -1 : 1;
    if (a == null) return 1; // missing values last, either direction
    if (b == null) return -1;
    if (a < b) return -sortDir;
    if (a > b) return sortDir;
    return p[1].a.hex < q[1].a.hex ? -1 : 1;
  });
  rows = keyed.map((k) => k[1]);
  for (const th of $('table-head').children) {
    th.setAttribute('aria-sort', th.dataset.key === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
  }
  $('table-count').textContent = `${rows.length.toLocaleString('en-US')} of ${store.aircraft.size.toLocaleString('en-US')} aircraft`;
  schedule(true);
}

function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    renderRows();
  });
}

// Rows are pooled and updated in place: replacing them on every snapshot
// would swallow clicks that straddle an update (mousedown and mouseup on
// different elements).
const pool = [];
let topSpacer = null;
let bottomSpacer = null;

function makeRow() {
  const tr = document.createElement('tr');
  tr.dataset.testid = 'aircraft-row';
  for (const c of COLUMNS) {
    const td = document.createElement('td');
    td.className = `${c.num ? 'num ' : ''}${c.opt ? 'opt ' : ''}${c.cls ?? ''}`.trim();
    td._html = '';
    tr.appendChild(td);
  }
  return tr;
}

function renderRows() {
  const body = $('table-body');
  if (!topSpacer) {
    const spacer = () => {
      const tr = document.createElement('tr');
      tr.className = 'spacer';
      tr.innerHTML = `<td colspan="${COLUMNS.length}"></td>`;
      return tr;
    };
    topSpacer = spacer();
    bottomSpacer = spacer();
    body.replaceChildren(topSpacer, bottomSpacer);
  }
  const scroller = $('table-scroll');
  const headH = 34;
  const first = Math.max(0, Math.floor((scroller.scrollTop - headH) / ROW_H) - OVERSCAN);
  const count = Math.ceil(Math.max(scroller.clientHeight, 600) / ROW_H) + 2 * OVERSCAN;
  const last = Math.min(rows.length, first + count);
  const needed = last - first;
  while (pool.length < needed) {
    const tr = makeRow();
    pool.push(tr);
    body.insertBefore(tr, bottomSpacer);
  }
  while (pool.length > needed) pool.pop().remove();
  topSpacer.firstChild.style.height = `${first * ROW_H}px`;
  bottomSpacer.firstChild.style.height = `${(rows.length - last) * ROW_H}px`;
  const sel = store.selected;
  for (let i = 0; i < needed; i++) {
    const rec = rows[first + i];
    const a = rec.a;
    const tr = pool[i];
    const em = emergencyOf(a);
    const cls = `row${em ? ' emergency' : ''}${a.hex === sel ? ' selected' : ''}`;
    if (tr.className !== cls) tr.className = cls;
    if (tr.dataset.hex !== a.hex) tr.dataset.hex = a.hex;
    if (em) tr.title = em;
    else if (tr.title) tr.removeAttribute('title');
    const cells = tr.children;
    for (let j = 0; j < COLUMNS.length; j++) {
      const html = COLUMNS[j].cell(a, rec);
      if (cells[j]._html !== html) {
        cells[j]._html = html;
        cells[j].innerHTML = html;
      }
    }
  }
}
