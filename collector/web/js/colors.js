// Altitude colours in the style of tar1090: hue runs from orange (low)
// through yellow and green to blue and magenta (high); lightness is
// adjusted per hue so every colour reads equally well on a dark map.

const HUE_STOPS = [
  [0, 20], [2000, 32.5], [4000, 43], [6000, 54], [8000, 72], [9000, 85],
  [11000, 140], [40000, 300], [51000, 360],
];
const LIGHT_STOPS = [
  [0, 53], [20, 50], [32, 54], [40, 52], [46, 51], [50, 46], [60, 43], [80, 41],
  [100, 41], [120, 41], [140, 41], [160, 40], [180, 40], [190, 44], [198, 50],
  [200, 58], [220, 58], [240, 58], [255, 55], [266, 55], [270, 58], [280, 58],
  [290, 47], [300, 43], [310, 48], [320, 48], [340, 52], [360, 53],
];

function interp(stops, x) {
  if (x <= stops[0][0]) return stops[0][1];
  for (let i = 1; i < stops.length; i++) {
    const [x1, y1] = stops[i];
    if (x <= x1) {
      const [x0, y0] = stops[i - 1];
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return stops[stops.length - 1][1];
}

export const GROUND_COLOR = 'hsl(15, 80%, 32%)';
// tar1090 outlines multilaterated aircraft in blue (its OutlineMlatColor,
// #4040FF); lighter here so the outline shows on the dark map.
export const MLAT_OUTLINE = '#7a80ff';
export const UNKNOWN_COLOR = 'hsl(0, 0%, 55%)';
const cache = new Map();

/** CSS colour for a readsb `alt_baro` value (feet, "ground" or missing). */
export function altColor(alt) {
  if (alt === 'ground') return GROUND_COLOR;
  if (typeof alt !== 'number') return UNKNOWN_COLOR;
  const bucket = Math.max(0, Math.min(51000, Math.round(alt / 250) * 250));
  let c = cache.get(bucket);
  if (!c) {
    const h = interp(HUE_STOPS, bucket);
    // Lighter than tar1090's light-theme values: the map here is dark.
    const l = Math.min(72, interp(LIGHT_STOPS, h) + 12);
    c = `hsl(${h.toFixed(1)}, 88%, ${l.toFixed(1)}%)`;
    cache.set(bucket, c);
  }
  return c;
}

/** Fills `el` with a gradient legend of the scale. */
export function renderLegend(el) {
  const stops = [];
  for (let a = 0; a <= 45000; a += 1500) stops.push(`${altColor(a)} ${(a / 45000) * 100}%`);
  el.innerHTML = `
    <div class="bar">
      <div class="grad" style="background: linear-gradient(90deg, ${stops.join(',')})"></div>
      <div class="ticks"><span>0</span><span>10k</span><span>20k</span><span>30k</span><span>40k ft</span></div>
    </div>
    <div class="bar" title="On the ground">
      <div class="grad" style="width: 14px; background: ${GROUND_COLOR}"></div>
      <div class="ticks"><span>gnd</span></div>
    </div>
    <div class="bar" title="Position from multilateration (MLAT): blue outline">
      <div class="grad" style="width: 14px; background: ${UNKNOWN_COLOR}; box-shadow: inset 0 0 0 2px ${MLAT_OUTLINE}"></div>
      <div class="ticks"><span>mlat</span></div>
    </div>`;
}
