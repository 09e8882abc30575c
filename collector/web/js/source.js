// Where an aircraft's position comes from, read from readsb's aircraft.json
// as tar1090 reads it: the `mlat` or `tisb` list naming `lat` marks a
// multilaterated or TIS-B position; otherwise the address type tells ADS-R
// from ADS-B.

/** 'mlat', 'tisb', 'adsr', 'adsb', or null without a position. */
export function positionSource(a) {
  if (typeof a.lat !== 'number') return null;
  if (a.mlat?.includes('lat')) return 'mlat';
  if (a.tisb?.includes('lat')) return 'tisb';
  if (String(a.type ?? '').startsWith('adsr')) return 'adsr';
  return 'adsb';
}

/** How the details panel names each source. */
export const SOURCE_NAMES = { adsb: 'ADS-B', adsr: 'ADS-R', tisb: 'TIS-B', mlat: 'MLAT' };
