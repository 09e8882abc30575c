// CloudRadar dashboard entry point: wires the views together and routes
// by URL hash (#map, #table, #receivers, #history).
//
// Modules: api (fetch with token sign-in), store (state + events), feed (SSE / polling), map +
// aircraft-layer (live map), table, details, receivers, history.

import { store, on, select } from './store.js';
import { startFeed, feedMode } from './feed.js';
import { signedIn, signOut } from './api.js';
import { initMap, locate, setReceivers, map, layer } from './map.js';
import { initTable, setTableVisible } from './table.js';
import { initDetails } from './details.js';
import { initReceivers, setReceiversVisible } from './receivers.js';
import { initHistory, setHistoryVisible } from './history.js';

const VIEWS = ['map', 'table', 'receivers', 'history'];
const $ = (id) => document.getElementById(id);

function route() {
  let view = location.hash.replace(/^#/, '').split(/[/?]/)[0];
  if (!VIEWS.includes(view)) view = 'map';
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== view;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.view === view);
  document.body.dataset.view = view;
  if (view === 'map') {
    map.invalidateSize();
    layer.redraw();
  }
  setTableVisible(view === 'table');
  setReceiversVisible(view === 'receivers');
  setHistoryVisible(view === 'history');
}

function updateHeader() {
  $('stat-aircraft').textContent = store.aircraft.size.toLocaleString('en-US');
  $('stat-positions').textContent = store.withPosition.toLocaleString('en-US');
  $('stat-rate').textContent = store.rate == null ? '–' : Math.round(store.rate).toLocaleString('en-US');
}

initMap();
initTable();
initDetails({
  locate: (hex) => {
    if (location.hash !== '#map') location.hash = '#map';
    requestAnimationFrame(() => locate(hex));
  },
});
initReceivers({ onReceivers: setReceivers });
initHistory();
on('update', updateHeader);
on('update', () => {
  $('signout').hidden = !signedIn();
});
$('signout').addEventListener('click', signOut);
window.addEventListener('hashchange', route);
route();
startFeed();

// For tests and debugging from the console.
window.cloudradar = {
  store,
  select,
  feedMode,
  /** Container pixel of a drawn aircraft, relative to the page. */
  aircraftOnScreen(hex) {
    const p = layer.screenPosition(hex);
    if (!p) return null;
    const r = map.getContainer().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  },
  drawnHexes: () => layer.drawnHexes(),
};
