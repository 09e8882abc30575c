// Copies the browser libraries the dashboard uses from node_modules into
// collector/web/vendor/ (only the distribution files it loads, plus each
// licence). Run after changing a version in package.json:
// `npm ci --prefix scripts/web && node scripts/web/vendor.mjs`.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const nm = join(here, 'node_modules');
const vendor = join(here, '..', '..', 'collector', 'web', 'vendor');

const plan = {
  leaflet: ['dist/leaflet.js', 'dist/leaflet.css', 'LICENSE', ...readdirSync(join(nm, 'leaflet/dist/images')).map((f) => `dist/images/${f}`)],
  uplot: ['dist/uPlot.iife.min.js', 'dist/uPlot.min.css', 'LICENSE'],
};

const versions = [];
for (const [pkg, files] of Object.entries(plan)) {
  for (const f of files) {
    const dest = join(vendor, pkg, f.replace(/^dist\//, ''));
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(join(nm, pkg, f), dest);
  }
  versions.push(`${pkg} ${JSON.parse(readFileSync(join(nm, pkg, 'package.json'), 'utf8')).version}`);
}
writeFileSync(join(vendor, 'VERSIONS.txt'), versions.join('\n') + '\n');
console.log(versions.join(', '));
