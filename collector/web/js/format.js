// Formatting helpers shared by the views. Missing values render as an en dash.

export const DASH = '–';

export const esc = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

export const callsign = (a) => (a.flight ?? '').trim();

export function alt(v) {
  if (v === 'ground') return 'ground';
  if (typeof v !== 'number') return DASH;
  return `${v.toLocaleString('en-US')} ft`;
}

export const num = (v, digits = 0, unit = '') =>
  typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(digits)}${unit}` : DASH;

export function vrate(a) {
  const v = a.baro_rate ?? a.geom_rate;
  if (typeof v !== 'number') return DASH;
  const arrow = v > 64 ? '↑' : v < -64 ? '↓' : '';
  return `${arrow}${Math.abs(v).toLocaleString('en-US')} ft/min`;
}

export const seconds = (s) => (typeof s === 'number' ? (s < 60 ? `${s.toFixed(1)} s` : ago(s)) : DASH);

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago" for an age in seconds. */
export function ago(s) {
  if (typeof s !== 'number' || !Number.isFinite(s)) return DASH;
  if (s < 0) s = 0;
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${(s / 3600).toFixed(1)} h ago`;
  return `${(s / 86400).toFixed(1)} d ago`;
}

const pad = (n) => String(n).padStart(2, '0');
/** Local date and time, "2026-11-25 11:27:08". */
export function dateTime(ms) {
  if (typeof ms !== 'number') return DASH;
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
export function clock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
}

export const EMERGENCY_SQUAWKS = { '7500': 'Hijack', '7600': 'Radio failure', '7700': 'Emergency' };

/** Emergency label for an aircraft, or null: squawk 7500/7600/7700 or a declared emergency. */
export function emergencyOf(a) {
  if (a.squawk && EMERGENCY_SQUAWKS[a.squawk]) return EMERGENCY_SQUAWKS[a.squawk];
  if (a.emergency && a.emergency !== 'none') return `Emergency (${a.emergency})`;
  return null;
}

export function latlon(lat, lon) {
  if (typeof lat !== 'number' || typeof lon !== 'number') return DASH;
  return `${Math.abs(lat).toFixed(4)}°${lat >= 0 ? 'N' : 'S'} ${Math.abs(lon).toFixed(4)}°${lon >= 0 ? 'E' : 'W'}`;
}

export const CATEGORY = {
  A0: 'No info', A1: 'Light', A2: 'Small', A3: 'Large', A4: 'B757', A5: 'Heavy', A6: 'High perf.', A7: 'Rotorcraft',
  B0: 'No info', B1: 'Glider', B2: 'Balloon', B3: 'Parachutist', B4: 'Ultralight', B6: 'UAV', B7: 'Space',
  C0: 'No info', C1: 'Emergency veh.', C2: 'Service veh.', C3: 'Obstacle',
};
export const category = (c) => (c ? `${c} ${CATEGORY[c] ? `· ${CATEGORY[c]}` : ''}`.trim() : DASH);
