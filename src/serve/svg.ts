/**
 * Inline SVG: maps (world-atlas 110m countries, bundled, projected with d3-geo; no
 * tile server, no fetch) with facility points coloured by worst exposure, and a trend chart.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { geoAzimuthalEqualArea, geoEqualEarth, geoGraticule10, geoPath, type GeoProjection } from 'd3-geo';
import { feature } from 'topojson-client';
import type { Topology, GeometryCollection } from 'topojson-specification';
import { exposureRank } from '../report/scans.ts';
import { esc, num, seg } from './html.ts';
import type { FacilityFigures } from '../report/aggregate.ts';
import type { TrendPoint } from '../report/diff.ts';
import { worstExposure } from './figures.ts';

const WIDTH = 960;
const HEIGHT = 500;
/** Degrees added around the facilities when framing the regional map (at least this much on each side). */
const MARGIN_DEG = 3;

type Project = (lon: number, lat: number) => [number, number] | null;

let countries: ReturnType<typeof feature> | null = null;
let world: { svg: string; project: Project } | null = null;

function land(): ReturnType<typeof feature> {
  if (countries) return countries;
  const require = createRequire(import.meta.url);
  const topo = JSON.parse(readFileSync(require.resolve('world-atlas/countries-110m.json'), 'utf8')) as Topology<{
    countries: GeometryCollection;
  }>;
  countries = feature(topo, topo.objects.countries);
  return countries;
}

function projector(projection: GeoProjection): Project {
  return (lon, lat) => {
    const p = projection([lon, lat]);
    return p && Number.isFinite(p[0]) && Number.isFinite(p[1]) ? [p[0], p[1]] : null;
  };
}

function basemap(projection: GeoProjection): string {
  const path = geoPath(projection).digits(1);
  return `<path class="graticule" d="${path(geoGraticule10()) ?? ''}"/><path class="land" d="${path(land()) ?? ''}"/>`;
}

/** The whole world (Equal Earth), drawn once per process. */
function worldBase(): { svg: string; project: Project } {
  if (world) return world;
  const projection = geoEqualEarth().fitExtent(
    [
      [8, 8],
      [WIDTH - 8, HEIGHT - 8],
    ],
    { type: 'Sphere' },
  );
  world = { svg: basemap(projection), project: projector(projection) };
  return world;
}

interface Point {
  readonly f: FacilityFigures;
  readonly worst: string;
  readonly lon: number;
  readonly lat: number;
}

/**
 * The facilities' own area: an azimuthal equal-area projection centred on them (right at any
 * latitude, poles included), framed on their extent plus a margin, clipped to the frame.
 */
function regionalBase(points: readonly Point[]): { svg: string; project: Project } {
  const lon = points.reduce((a, p) => a + p.lon, 0) / points.length;
  const lat = points.reduce((a, p) => a + p.lat, 0) / points.length;
  const frame: [number, number][] = points.flatMap((p) => [
    [p.lon - MARGIN_DEG, Math.max(-90, p.lat - MARGIN_DEG)],
    [p.lon + MARGIN_DEG, Math.min(90, p.lat + MARGIN_DEG)],
    [p.lon - MARGIN_DEG, Math.min(90, p.lat + MARGIN_DEG)],
    [p.lon + MARGIN_DEG, Math.max(-90, p.lat - MARGIN_DEG)],
  ]);
  const projection = geoAzimuthalEqualArea()
    .rotate([-lon, -lat])
    .clipAngle(90)
    .fitExtent(
      [
        [16, 16],
        [WIDTH - 16, HEIGHT - 16],
      ],
      { type: 'MultiPoint', coordinates: frame },
    );
  projection.clipExtent([
    [0, 0],
    [WIDTH, HEIGHT],
  ]);
  return { svg: basemap(projection), project: projector(projection) };
}

function circles(scanId: string, points: readonly Point[], project: Project, scale: number): string {
  const out: string[] = [];
  for (const { f, worst, lon, lat } of points) {
    const p = project(lon, lat);
    if (!p) continue;
    const r = (3 + Math.min(6, Math.log10(1 + f.figures.patients))) * scale;
    out.push(
      `<a href="/scans/${seg(scanId)}/facilities/${seg(f.id)}"><circle class="pt x-${esc(worst)}" data-facility="${esc(f.id)}" data-exposure="${esc(worst)}" cx="${p[0].toFixed(1)}" cy="${p[1].toFixed(1)}" r="${r.toFixed(1)}"><title>${esc(f.name)}: ${esc(worst)}, ${num(f.figures.exposedEndpoints)} exposed of ${num(f.figures.endpoints)}</title></circle></a>`,
    );
  }
  return out.join('');
}

function svg(id: string, label: string, body: string, width = WIDTH, height = HEIGHT): string {
  return `<svg id="${id}" role="img" aria-label="${esc(label)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;
}

/**
 * The maps: the facilities' area (`#map`) and the world (`#map-world`, smaller), one circle per
 * facility with coordinates, coloured by its worst exposure and linking to its page.
 */
export function facilityMap(scanId: string, facilities: readonly FacilityFigures[]): string {
  const points: Point[] = facilities
    .filter((f) => f.latitude !== null && f.longitude !== null)
    .map((f) => ({ f, worst: worstExposure(f.figures), lon: f.longitude!, lat: f.latitude! }))
    // Worst drawn last, so it is on top.
    .sort((a, b) => exposureRank(b.worst) - exposureRank(a.worst));
  const w = worldBase();
  if (points.length === 0)
    return `${svg('map', 'facilities by worst exposure', w.svg)}<p class="note">no facility has coordinates</p>`;
  const r = regionalBase(points);
  return (
    svg('map', 'facilities by worst exposure', r.svg + circles(scanId, points, r.project, 1.3)) +
    svg(
      'map-world',
      'facilities on the world map',
      w.svg + circles(scanId, points, w.project, 1),
      WIDTH / 2,
      HEIGHT / 2,
    )
  );
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
          `<circle class="${cls === 'l1' ? 'x-queryable' : 'x-identified'}" cx="${x(i).toFixed(1)}" cy="${y(pick(p)).toFixed(1)}" r="3"><title>${esc(p.scan.createdAt)}: ${num(pick(p))}</title></circle>`,
      )
      .join('');
  return `<svg id="trend" role="img" aria-label="trend over scans" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg">
<line class="axis" x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}"/><line class="axis" x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}"/>
<text x="4" y="${pad}" font-size="11">${num(max)}</text><text x="4" y="${h - pad}" font-size="11">0</text>
${line('l2', (p) => p.endpoints)}${line('l1', (p) => p.exposedEndpoints)}
<text x="${pad}" y="${h - 8}" font-size="11">systems found (blue) and exposed (red), ${points.length} scan(s) of this scope, oldest left</text></svg>`;
}
