// The details panel for the selected aircraft; refreshed with every snapshot.

import { store, on, select } from './store.js';
import * as f from './format.js';
import { positionSource, SOURCE_NAMES } from './source.js';

const $ = (id) => document.getElementById(id);
let onLocate = () => {};

export function initDetails({ locate }) {
  onLocate = locate;
  $('details-close').addEventListener('click', () => select(null));
  $('details-locate').addEventListener('click', () => {
    if (store.selected) onLocate(store.selected);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && store.selected) select(null);
  });
  on('select', render);
  on('update', () => store.selected && render());
}

function render() {
  const panel = $('details');
  const hex = store.selected;
  if (!hex) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  panel.dataset.hex = hex;
  const rec = store.aircraft.get(hex);
  const a = rec?.a ?? { hex };
  const cs = f.callsign(a);
  $('details-callsign').textContent = cs || 'No callsign';
  $('details-hex').textContent = hex;
  $('details-reg').textContent = a.r ?? a.registration ?? '';
  const em = f.emergencyOf(a);
  $('details-emergency').hidden = !em;
  $('details-emergency').textContent = em ?? '';

  const fields = [
    ['Altitude', f.alt(a.alt_baro), 'alt'],
    ['Geom. alt.', f.alt(a.alt_geom), 'alt-geom'],
    ['Ground speed', f.num(a.gs, 0, ' kt'), 'gs'],
    ['Track', f.num(a.track, 0, '°'), 'track'],
    ['Vertical rate', f.vrate(a), 'vrate'],
    ['Squawk', a.squawk ?? f.DASH, 'squawk'],
    ['Category', f.category(a.category), 'category'],
    ['NIC / NACp', `${a.nic ?? f.DASH} / ${a.nac_p ?? f.DASH}`, 'nic'],
    ['RSSI', f.num(a.rssi, 1, ' dBFS'), 'rssi'],
    ['Messages', typeof a.messages === 'number' ? a.messages.toLocaleString('en-US') : f.DASH, 'messages'],
    ['Seen', f.seconds(a.seen), 'seen'],
    ['Position age', f.seconds(a.seen_pos), 'seen-pos'],
    ['Position', f.latlon(a.lat, a.lon), 'position', true],
    ['Position source', SOURCE_NAMES[positionSource(a)] ?? f.DASH, 'source'],
  ];
  if (!rec) fields.push(['Status', 'no longer in the live view', 'gone', true]);
  $('details-grid').innerHTML = fields
    .map(([k, v, id, wide]) => `<div${wide ? ' class="wide"' : ''}><dt>${k}</dt><dd data-testid="details-${id}" title="${f.esc(v)}">${f.esc(v)}</dd></div>`)
    .join('');
  const rx = a.receivers ?? [];
  $('details-receivers').innerHTML = rx.length
    ? rx.map((r) => `<span class="chip" data-testid="details-receiver">${f.esc(r)}</span>`).join('')
    : `<span class="muted">${f.DASH}</span>`;
}
