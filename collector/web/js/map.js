// The live map: offline country outlines (geo/world.geojson) or, with
// ?tiles=<url template>, online tiles; the aircraft canvas layer;
// receiver positions; click to select.

import { store, on, select } from './store.js';
import { apiFetch } from './api.js';
import { AircraftLayer, trackPoints } from './aircraft-layer.js';
import { renderLegend } from './colors.js';
import { esc } from './format.js';

export let map = null;
export let layer = null;
let receiverLayer = null;
let fitted = false;

/** Creates a Leaflet map with the shared basemap (used by the live and history views). */
export function createBaseMap(el, opts = {}) {
  const m = L.map(el, {
    zoomAnimation: false, // the aircraft canvas redraws per zoom level instead
    fadeAnimation: false,
    preferCanvas: true,
    worldCopyJump: false,
    minZoom: 2,
    maxZoom: 16,
    zoomSnap: 0.5,
    attributionControl: true,
    ...opts,
  });
  m.attributionControl.setPrefix(false);
  const tiles = new URLSearchParams(location.search).get('tiles');
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: 'Tiles: configured source' }).addTo(m);
  } else {
    loadWorld().then((geo) => {
      if (!geo) return;
      L.geoJSON(geo, {
        interactive: false,
        renderer: L.canvas({ padding: 0.5 }),
        style: () => ({ color: '#33465c', weight: 1, fillColor: '#1b2837', fillOpacity: 1 }),
      }).addTo(m);
    });
    m.attributionControl.addAttribution('Natural Earth');
  }
  return m;
}

let worldPromise = null;
function loadWorld() {
  worldPromise ??= fetch('geo/world.geojson')
    .then((r) => (r.ok ? r.json() : null))
    .catch(() => null);
  return worldPromise;
}

export function initMap() {
  map = createBaseMap('map');
  map.setView([20, 0], 3); // the world, until the site is known
  centreOnSite();
  layer = new AircraftLayer().addTo(map);
  receiverLayer = L.layerGroup().addTo(map);
  renderLegend(document.getElementById('alt-legend'));

  map.on('click', (e) => {
    const hex = layer.hitTest(e.containerPoint);
    select(hex);
  });
  let hoverPending = false;
  map.on('mousemove', (e) => {
    if (hoverPending) return;
    hoverPending = true;
    requestAnimationFrame(() => {
      hoverPending = false;
      map.getContainer().style.cursor = layer.hitTest(e.containerPoint) ? 'pointer' : '';
    });
  });

  const opt = (id, fn) => {
    const el = document.getElementById(id);
    el.addEventListener('change', () => fn(el.checked));
  };
  opt('opt-trails', (v) => ((layer.showTrails = v), layer.redraw()));
  opt('opt-labels', (v) => ((layer.showLabels = v), layer.redraw()));
  opt('opt-receivers', (v) => (v ? receiverLayer.addTo(map) : receiverLayer.remove()));
  document.getElementById('btn-fit').addEventListener('click', () => fitAll());

  on('update', () => {
    layer.redraw();
    if (!fitted && store.withPosition > 0) {
      fitted = true;
      fitAll();
    }
  });
  on('select', (hex) => {
    layer.setTrack(null);
    layer.redraw();
    if (hex) {
      loadTrack(hex);
      requestAnimationFrame(() => keepClearOfPanel(hex));
    }
  });
}

/**
 * Centres on the collector's site, the one tar1090 gets from the same
 * data/receiver.json (site_lat/site_lon, else the receivers' centroid),
 * as tar1090 does; without a site the first aircraft positions fit the view.
 * The site is left in the map element's data-site for tests.
 */
async function centreOnSite() {
  try {
    const r = await apiFetch('data/receiver.json');
    const rx = r.ok ? await r.json() : null;
    if (typeof rx?.lat !== 'number' || typeof rx?.lon !== 'number') return;
    fitted = true;
    map.setView([rx.lat, rx.lon], 8);
    map.getContainer().dataset.site = `${rx.lat},${rx.lon}`;
  } catch {
    /* no site: the first aircraft fit the view */
  }
}

/** Pans so the selected aircraft is not hidden under the details panel (the bottom sheet on phones). */
function keepClearOfPanel(hex) {
  const panel = document.getElementById('details');
  const p = layer.screenPosition(hex);
  if (!p || panel.hidden || document.body.dataset.view !== 'map') return;
  const m = map.getContainer().getBoundingClientRect();
  const r = panel.getBoundingClientRect();
  const x = m.left + p.x, y = m.top + p.y;
  if (x < r.left - 16 || x > r.right + 16 || y < r.top - 16 || y > r.bottom + 16) return;
  const sheet = r.width > m.width * 0.8; // phone bottom sheet
  const dx = sheet ? 0 : x - (m.left + (r.left - m.left) / 2);
  const dy = sheet ? y - (m.top + (r.top - m.top) / 2) : 0;
  map.panBy([dx, dy], { animate: false });
}

function fitAll() {
  const pts = [];
  for (const rec of store.aircraft.values()) {
    const a = rec.a;
    if (typeof a.lat === 'number') pts.push([a.lat, a.lon]);
  }
  if (pts.length) map.fitBounds(L.latLngBounds(pts).pad(0.05), { maxZoom: 10 });
}

async function loadTrack(hex) {
  try {
    const r = await apiFetch(`api/v1/aircraft/${encodeURIComponent(hex)}`);
    if (!r.ok || store.selected !== hex) return;
    const body = await r.json();
    if (store.selected === hex) layer.setTrack(trackPoints(body.track ?? []));
  } catch {
    /* the trail still shows */
  }
}

/** Centres the map on an aircraft. */
export function locate(hex) {
  const rec = store.aircraft.get(hex);
  if (rec && typeof rec.a.lat === 'number') map.setView([rec.a.lat, rec.a.lon], Math.max(map.getZoom(), 9));
}

/** Shows receiver positions (from api/v1/receivers). */
export function setReceivers(list) {
  if (!receiverLayer) return;
  receiverLayer.clearLayers();
  for (const r of list) {
    if (typeof r.lat !== 'number' || typeof r.lon !== 'number') continue;
    L.circleMarker([r.lat, r.lon], {
      radius: 6,
      color: r.online ? '#4cc2ff' : '#ff5a5f',
      weight: 2,
      fillColor: '#0d131b',
      fillOpacity: 1,
      interactive: true,
    })
      .bindTooltip(`<b>${esc(r.id)}</b><br>${r.online ? 'online' : 'offline'}`, { className: 'rx-tip', direction: 'top' })
      .addTo(receiverLayer);
  }
}
