// Converts world-atlas's countries-110m TopoJSON (Natural Earth 1:110m,
// public domain; world-atlas ISC) into the dashboard's offline basemap,
// collector/web/geo/world.geojson. Run once after changing the
// world-atlas version: `npm ci --prefix scripts/web && node scripts/web/make-world.mjs`.
// Coordinates are rounded to 0.01° (about 1 km), far below the 1:110m
// generalisation, which keeps the file small.
import { readFileSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { feature } from 'topojson-client';

const here = dirname(fileURLToPath(import.meta.url));
const atlas = join(here, 'node_modules', 'world-atlas');
const out = join(here, '..', '..', 'collector', 'web', 'geo');
mkdirSync(out, { recursive: true });

const topo = JSON.parse(readFileSync(join(atlas, 'countries-110m.json'), 'utf8'));
const fc = feature(topo, topo.objects.countries);

const round = (v) => Math.round(v * 100) / 100;
const roundCoords = (c) => (typeof c[0] === 'number' ? [round(c[0]), round(c[1])] : c.map(roundCoords));

const features = fc.features
  .filter((f) => f.geometry)
  .map((f) => ({
    type: 'Feature',
    properties: { name: f.properties?.name ?? '' },
    geometry: { type: f.geometry.type, coordinates: roundCoords(f.geometry.coordinates) },
  }));

const version = JSON.parse(readFileSync(join(atlas, 'package.json'), 'utf8')).version;
const geojson = {
  type: 'FeatureCollection',
  // Not part of GeoJSON's required members; carried so the file explains itself.
  attribution: `Natural Earth 1:110m countries (public domain) via world-atlas ${version} (ISC)`,
  features,
};
const text = JSON.stringify(geojson);
writeFileSync(join(out, 'world.geojson'), text + '\n');
copyFileSync(join(atlas, 'LICENSE'), join(out, 'LICENSE-world-atlas.txt'));
console.log(`world.geojson: ${features.length} countries, ${(text.length / 1024).toFixed(0)} KB`);
