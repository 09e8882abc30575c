// One canvas over the Leaflet map that draws every aircraft (a rotated
// SVG silhouette, coloured by altitude and outlined in blue when its
// position is multilaterated, as tar1090 does), their trails, labels and the
// selected aircraft's full track. Positions are kept in zoom-0 Web
// Mercator pixels, so a redraw is arithmetic plus canvas calls: 5,000
// aircraft redraw in a few milliseconds, with no DOM node per aircraft.
// A full render goes to an offscreen canvas a margin larger than the map;
// panning only moves that image, so dragging stays smooth whatever the
// traffic. Trails get shorter when thousands of aircraft are in view.
// Hit testing (click, hover) uses the screen positions of the last render.

import { store, mercator } from './store.js';
import { altColor, MLAT_OUTLINE } from './colors.js';
import { positionSource } from './source.js';

// Silhouettes in a 32×32 box, nose up, centred on (16, 16): SVG path data.
const SHAPES = {
  jet: 'M16 1.5c1.2 0 1.9 1.4 1.9 3v7.6l11.1 6.6v2.5l-11.1-3.5-.3 7.5 3.5 2.6v2l-5.1-1.3-5.1 1.3v-2l3.5-2.6-.3-7.5L3 21.2v-2.5l11.1-6.6V4.5c0-1.6.7-3 1.9-3z',
  light: 'M16 3c1 0 1.5 1 1.5 2.2V11l11 1.2v2.6l-11 1.2-.6 7.6 4 .9v2.3l-4.9-.5-4.9.5v-2.3l4-.9-.6-7.6-11-1.2v-2.6l11-1.2V5.2C14.5 4 15 3 16 3z',
  heli: 'M16 6.5a4.2 4.2 0 0 1 4.2 4.2v4.6c0 2-1.2 3.6-2.9 4.1l-.4 9.1h2.6v1.8h-7v-1.8h2.6l-.4-9.1a4.3 4.3 0 0 1-2.9-4.1v-4.6A4.2 4.2 0 0 1 16 6.5zM3 3.7l1.4-1.4L29 26.9l-1.4 1.4zM27.6 2.3 29 3.7 4.4 28.3 3 26.9z',
  ground: 'M11 7h10a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H11a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2zm1 2v5h8V9z',
};
/** Extra pixels rendered around the map on each side, so a pan is a blit. */
const MARGIN = 256;

const PATHS = Object.fromEntries(Object.entries(SHAPES).map(([k, d]) => [k, new Path2D(d)]));

function shapeOf(a) {
  const c = a.category;
  if (c === 'A7') return ['heli', 0.85];
  if (c && c[0] === 'C') return ['ground', 0.6];
  if (a.alt_baro === 'ground' && !c) return ['ground', 0.6];
  if (c === 'A1' || c === 'B1' || c === 'B4') return ['light', 0.72];
  if (c === 'A2') return ['jet', 0.8];
  if (c === 'A5') return ['jet', 1.1];
  return ['jet', 0.95];
}

export class AircraftLayer extends L.Layer {
  constructor(options = {}) {
    super(options);
    this.showTrails = true;
    this.showLabels = true;
    this.track = null; // selected aircraft's full track: [[x, y, color], ...]
    this.drawn = 0;
    this.drawnMlat = 0;
    this.drawMs = 0;
    this._hits = { xs: new Float32Array(0), ys: new Float32Array(0), hex: [] };
    this._frame = 0;
    this._dirty = true;
    this._cache = null; // { scale, ox, oy } of the offscreen render
    this._dx = 0; // current pan offset relative to the offscreen render
    this._dy = 0;
  }

  onAdd(map) {
    this._map = map;
    const c = (this._canvas = L.DomUtil.create('canvas', 'aircraft-canvas'));
    map.getContainer().appendChild(c);
    this._ctx = c.getContext('2d');
    this._off = document.createElement('canvas');
    this._offCtx = this._off.getContext('2d');
    map.on('move', this._schedule, this);
    map.on('zoom viewreset resize', this.redraw, this);
    this._resize();
    this.redraw();
  }

  onRemove(map) {
    map.off('move', this._schedule, this);
    map.off('zoom viewreset resize', this.redraw, this);
    this._canvas.remove();
  }

  _resize() {
    const size = this._map.getSize();
    const dpr = window.devicePixelRatio || 1;
    const c = this._canvas;
    if (c.width !== Math.round(size.x * dpr) || c.height !== Math.round(size.y * dpr)) {
      c.width = Math.round(size.x * dpr);
      c.height = Math.round(size.y * dpr);
      c.style.width = `${size.x}px`;
      c.style.height = `${size.y}px`;
      const M = MARGIN;
      this._off.width = Math.round((size.x + 2 * M) * dpr);
      this._off.height = Math.round((size.y + 2 * M) * dpr);
      this._dirty = true;
    }
    this._dpr = dpr;
  }

  /** Re-renders on the next animation frame (data, selection or options changed). */
  redraw() {
    this._dirty = true;
    this._schedule();
  }

  _schedule() {
    if (this._frame) return;
    this._frame = requestAnimationFrame(() => {
      this._frame = 0;
      this._draw();
    });
  }

  setTrack(points) {
    this.track = points;
    this.redraw();
  }

  /** Zoom-0 mercator -> container pixels: x * scale + ox. */
  _transform() {
    const map = this._map;
    const scale = Math.pow(2, map.getZoom());
    const origin = map.getPixelOrigin();
    const pane = map._getMapPanePos ? map._getMapPanePos() : L.point(0, 0);
    return { scale, ox: pane.x - origin.x, oy: pane.y - origin.y };
  }

  _draw() {
    if (!this._map) return;
    this._resize();
    const t = this._transform();
    const c = this._cache;
    const pan = c && !this._dirty && c.scale === t.scale ? [t.ox - c.ox, t.oy - c.oy] : null;
    if (!pan || Math.abs(pan[0]) > MARGIN * 0.8 || Math.abs(pan[1]) > MARGIN * 0.8) {
      const t0 = performance.now();
      this._render(t);
      this._cache = t;
      this._dirty = false;
      this.drawMs = performance.now() - t0;
      this._dx = this._dy = 0;
    } else {
      this._dx = pan[0];
      this._dy = pan[1];
    }
    const ctx = this._ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this._canvas.width, this._canvas.height);
    const d = this._dpr;
    ctx.drawImage(this._off, Math.round((this._dx - MARGIN) * d), Math.round((this._dy - MARGIN) * d));
    const el = this._map.getContainer();
    el.dataset.aircraftDrawn = String(this.drawn);
    el.dataset.mlatDrawn = String(this.drawnMlat);
    el.dataset.drawMs = this.drawMs.toFixed(1);
  }

  /** Renders everything into the offscreen canvas (map pixels + MARGIN). */
  _render(tr) {
    const ctx = this._offCtx;
    const size = this._map.getSize();
    const M = MARGIN;
    const W = size.x + 2 * M;
    const H = size.y + 2 * M;
    ctx.setTransform(this._dpr, 0, 0, this._dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const scale = tr.scale;
    const ox = tr.ox + M;
    const oy = tr.oy + M;
    const margin = 24;
    const sel = store.selected;

    // Trails: segments grouped by colour, one stroke per colour; fewer
    // points per trail when many aircraft are in view.
    if (this.showTrails) {
      let inView = 0;
      for (const rec of store.aircraft.values()) {
        const x = rec.x * scale + ox, y = rec.y * scale + oy;
        if (x >= 0 && y >= 0 && x <= W && y <= H) inView++;
      }
      const keep = inView > 2000 ? 8 : inView > 800 ? 20 : Infinity;
      const byColor = new Map();
      for (const rec of store.aircraft.values()) {
        const t = rec.trail;
        if (t.length < 2 || Number.isNaN(rec.x)) continue;
        for (let i = Math.max(1, t.length - keep); i < t.length; i++) {
          const x0 = t[i - 1][0] * scale + ox, y0 = t[i - 1][1] * scale + oy;
          const x1 = t[i][0] * scale + ox, y1 = t[i][1] * scale + oy;
          if ((x0 < 0 && x1 < 0) || (x0 > W && x1 > W) || (y0 < 0 && y1 < 0) || (y0 > H && y1 > H)) continue;
          let arr = byColor.get(t[i][2]);
          if (!arr) byColor.set(t[i][2], (arr = []));
          arr.push(x0, y0, x1, y1);
        }
      }
      ctx.lineWidth = 1.6;
      ctx.globalAlpha = 0.7;
      ctx.lineCap = 'round';
      for (const [color, arr] of byColor) {
        ctx.strokeStyle = color;
        ctx.beginPath();
        for (let i = 0; i < arr.length; i += 4) {
          ctx.moveTo(arr[i], arr[i + 1]);
          ctx.lineTo(arr[i + 2], arr[i + 3]);
        }
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
    }

    // The selected aircraft's full track (from the API), thicker.
    if (this.track && this.track.length > 1) {
      ctx.lineWidth = 3;
      ctx.lineCap = 'round';
      ctx.lineJoin = 'round';
      for (let i = 1; i < this.track.length; i++) {
        const p = this.track[i - 1], q = this.track[i];
        ctx.strokeStyle = q[2];
        ctx.beginPath();
        ctx.moveTo(p[0] * scale + ox, p[1] * scale + oy);
        ctx.lineTo(q[0] * scale + ox, q[1] * scale + oy);
        ctx.stroke();
      }
    }

    // Aircraft.
    const n = store.aircraft.size;
    if (this._hits.xs.length < n) {
      this._hits.xs = new Float32Array(n * 2);
      this._hits.ys = new Float32Array(n * 2);
    }
    const hx = this._hits.xs, hy = this._hits.ys, hh = (this._hits.hex = []);
    const labels = [];
    let drawn = 0;
    let drawnMlat = 0;
    let selRec = null;
    ctx.lineWidth = 1;
    ctx.strokeStyle = 'rgba(0,0,0,.75)';
    for (const rec of store.aircraft.values()) {
      if (Number.isNaN(rec.x)) continue;
      const x = rec.x * scale + ox;
      const y = rec.y * scale + oy;
      if (x < -margin || y < -margin || x > W + margin || y > H + margin) continue;
      hx[drawn] = x - M;
      hy[drawn] = y - M;
      hh.push(rec.a.hex);
      drawn++;
      if (positionSource(rec.a) === 'mlat') drawnMlat++;
      if (rec.a.hex === sel) {
        selRec = rec;
        continue; // drawn last, on top
      }
      this._plane(ctx, rec, x, y, false);
      if (this.showLabels) labels.push([rec, x, y]);
    }
    if (selRec) this._plane(ctx, selRec, selRec.x * scale + ox, selRec.y * scale + oy, true);

    // Labels where they fit: an occupancy grid of 8 px cells, aircraft first,
    // then labels in draw order; a label that would overlap is skipped.
    if (this.showLabels && labels.length && labels.length <= 1500) {
      const C = 8;
      const gw = Math.ceil(W / C) + 1, gh = Math.ceil(H / C) + 1;
      const grid = new Uint8Array(gw * gh);
      const mark = (x0, y0, x1, y1, test) => {
        const cx0 = Math.max(0, Math.floor(x0 / C)), cy0 = Math.max(0, Math.floor(y0 / C));
        const cx1 = Math.min(gw - 1, Math.floor(x1 / C)), cy1 = Math.min(gh - 1, Math.floor(y1 / C));
        for (let cy = cy0; cy <= cy1; cy++) {
          for (let cx = cx0; cx <= cx1; cx++) {
            if (test) {
              if (grid[cy * gw + cx] === 2) return false;
            } else grid[cy * gw + cx] = 2;
          }
        }
        return true;
      };
      for (let i = 0; i < drawn; i++) mark(hx[i] + M - 5, hy[i] + M - 5, hx[i] + M + 5, hy[i] + M + 5, false);
      ctx.font = '600 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
      ctx.textBaseline = 'middle';
      ctx.lineWidth = 3;
      ctx.strokeStyle = 'rgba(10,16,24,.85)';
      ctx.fillStyle = '#dce6f0';
      const placed = [];
      for (const [rec, x, y] of labels) {
        const text = (rec.a.flight ?? '').trim() || rec.a.hex;
        const w = text.length * 6.6;
        if (!mark(x + 11, y - 6, x + 13 + w, y + 6, true)) continue;
        mark(x + 11, y - 6, x + 13 + w, y + 6, false);
        placed.push([text, x, y]);
      }
      for (const [text, x, y] of placed) {
        ctx.strokeText(text, x + 13, y);
        ctx.fillText(text, x + 13, y);
      }
    }
    if (selRec) {
      const x = selRec.x * scale + ox, y = selRec.y * scale + oy;
      const text = (selRec.a.flight ?? '').trim() || selRec.a.hex;
      ctx.font = '700 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
      ctx.textBaseline = 'middle';
      ctx.lineWidth = 3;
      ctx.strokeStyle = 'rgba(10,16,24,.9)';
      ctx.fillStyle = '#ffffff';
      ctx.strokeText(text, x + 16, y);
      ctx.fillText(text, x + 16, y);
    }

    this.drawn = drawn;
    this.drawnMlat = drawnMlat;
  }

  _plane(ctx, rec, x, y, selected) {
    const a = rec.a;
    const [shape, s] = shapeOf(a);
    const k = (selected ? 1.3 : 1) * s * 0.75;
    const track = typeof a.track === 'number' ? a.track : (a.mag_heading ?? a.true_heading ?? 0);
    ctx.save();
    ctx.translate(x, y);
    if (shape !== 'ground') ctx.rotate((track * Math.PI) / 180);
    ctx.scale(k, k);
    ctx.translate(-16, -16);
    if (selected) {
      ctx.shadowColor = 'rgba(255,255,255,.9)';
      ctx.shadowBlur = 10;
    }
    ctx.fillStyle = rec.color;
    ctx.fill(PATHS[shape]);
    ctx.shadowBlur = 0;
    const mlat = positionSource(a) === 'mlat';
    ctx.lineWidth = selected ? 2 : mlat ? 2.2 : 1.1;
    ctx.strokeStyle = selected ? '#ffffff' : mlat ? MLAT_OUTLINE : 'rgba(0,0,0,.8)';
    ctx.stroke(PATHS[shape]);
    ctx.restore();
  }

  /** The hex of the aircraft nearest to a container point, within `radius` px. */
  hitTest(pt, radius = 14) {
    const { xs, ys, hex } = this._hits;
    let best = null;
    let bestD = radius * radius;
    const px = pt.x - this._dx, py = pt.y - this._dy;
    for (let i = 0; i < hex.length; i++) {
      const dx = xs[i] - px, dy = ys[i] - py;
      const d = dx * dx + dy * dy;
      if (d <= bestD) {
        bestD = d;
        best = hex[i];
      }
    }
    return best;
  }

  /** Container position of a drawn aircraft (for tests and "locate"). */
  screenPosition(hex) {
    const i = this._hits.hex.indexOf(hex);
    return i < 0 ? null : { x: this._hits.xs[i] + this._dx, y: this._hits.ys[i] + this._dy };
  }

  /** Hexes of drawn aircraft, in draw order. */
  drawnHexes() {
    return this._hits.hex.slice();
  }
}

/** A track from the API ([time_ms, lat, lon, alt, ...] rows) as layer points. */
export function trackPoints(rows) {
  const out = [];
  for (const r of rows) {
    if (typeof r[1] !== 'number' || typeof r[2] !== 'number') continue;
    const [x, y] = mercator(r[1], r[2]);
    out.push([x, y, altColor(r[3] ?? undefined)]);
  }
  return out;
}
