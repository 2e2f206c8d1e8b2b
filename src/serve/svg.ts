/**
 * Inline SVG: the world map (world-atlas 110m countries, bundled, projected with d3-geo; no
 * tile server, no fetch) with facility points coloured by worst exposure, and a trend chart.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { geoEqualEarth, geoGraticule10, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { Topology, GeometryCollection } from 'topojson-specification';
import { esc, num, seg } from './html.ts';
import type { FacilityFigures, TrendPoint } from './figures.ts';

const WIDTH = 960;
const HEIGHT = 500;

let basemap: { svg: string; project: (lon: number, lat: number) => [number, number] | null } | null = null;

function base(): NonNullable<typeof basemap> {
  if (basemap) return basemap;
  const require = createRequire(import.meta.url);
  const topo = JSON.parse(readFileSync(require.resolve('world-atlas/countries-110m.json'), 'utf8')) as Topology<{
    countries: GeometryCollection;
  }>;
  const land = feature(topo, topo.objects.countries);
  const projection = geoEqualEarth().fitExtent(
    [
      [8, 8],
      [WIDTH - 8, HEIGHT - 8],
    ],
    { type: 'Sphere' },
  );
  const path = geoPath(projection).digits(1);
  const svg = `<path class="graticule" d="${path(geoGraticule10()) ?? ''}"/><path class="land" d="${path(land) ?? ''}"/>`;
  basemap = {
    svg,
    project: (lon, lat) => {
      const p = projection([lon, lat]);
      return p && Number.isFinite(p[0]) && Number.isFinite(p[1]) ? [p[0], p[1]] : null;
    },
  };
  return basemap;
}

/** The map: one circle per facility with coordinates, linking to its page. */
export function facilityMap(scanId: string, facilities: readonly FacilityFigures[]): string {
  const b = base();
  const points: string[] = [];
  // Worst last, so it is drawn on top.
  for (const f of [...facilities].reverse()) {
    const { latitude, longitude } = f.facility;
    if (latitude === null || longitude === null) continue;
    const p = b.project(longitude, latitude);
    if (!p) continue;
    const r = 3 + Math.min(6, Math.log10(1 + f.patients));
    points.push(
      `<a href="/scans/${seg(scanId)}/facilities/${seg(f.facility.id)}"><circle class="pt x-${esc(f.worst)}" data-facility="${esc(f.facility.id)}" data-exposure="${esc(f.worst)}" cx="${p[0].toFixed(1)}" cy="${p[1].toFixed(1)}" r="${r.toFixed(1)}"><title>${esc(f.facility.name)}: ${esc(f.worst)}, ${num(f.exposed)} exposed of ${num(f.endpoints)}</title></circle></a>`,
    );
  }
  return `<svg id="map" role="img" aria-label="facilities by worst exposure" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg">${b.svg}${points.join('')}</svg>`;
}

/** Systems found and exposed per scan, as two polylines. */
export function trendChart(points: readonly TrendPoint[]): string {
  const w = 640;
  const h = 220;
  const pad = 36;
  if (points.length === 0) return '<p class="note">no scan yet</p>';
  const max = Math.max(1, ...points.map((p) => p.endpoints));
  const x = (i: number): number => (points.length === 1 ? w / 2 : pad + (i * (w - 2 * pad)) / (points.length - 1));
  const y = (v: number): number => h - pad - (v * (h - 2 * pad)) / max;
  const line = (cls: string, pick: (p: TrendPoint) => number): string =>
    `<polyline class="line ${cls}" points="${points.map((p, i) => `${x(i).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(' ')}"/>` +
    points
      .map(
        (p, i) =>
          `<circle class="${cls === 'l1' ? 'x-queryable' : 'x-identified'}" cx="${x(i).toFixed(1)}" cy="${y(pick(p)).toFixed(1)}" r="3"><title>${esc(p.at)}: ${num(pick(p))}</title></circle>`,
      )
      .join('');
  return `<svg id="trend" role="img" aria-label="trend over scans" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg">
<line class="axis" x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}"/><line class="axis" x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}"/>
<text x="4" y="${pad}" font-size="11">${num(max)}</text><text x="4" y="${h - pad}" font-size="11">0</text>
${line('l2', (p) => p.endpoints)}${line('l1', (p) => p.exposed)}
<text x="${pad}" y="${h - 8}" font-size="11">systems found (blue) and exposed (red), ${points.length} scan(s), oldest left</text></svg>`;
}
