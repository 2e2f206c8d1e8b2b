/**
 * The report map as inline SVG: world-atlas country outlines (offline TopoJSON) projected with
 * d3-geo, countries coloured by what a stranger can do there, facility points at the registry's
 * coordinates. No script: tooltips are SVG <title> elements. Everything textual is escaped.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { geoEqualEarth, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { countryName, numericCode } from './countries.ts';
import { Html, join, markup } from './escape.ts';

export const MAP_WIDTH = 960;
export const MAP_HEIGHT = 500;

/** How bad a country or a facility is, for the colour. */
export type MapLevel = 'records' | 'exposed' | 'found' | 'none';

export const LEVEL_COLOURS: Readonly<Record<MapLevel, string>> = {
  records: '#c0392b',
  exposed: '#e67e22',
  found: '#7fb77e',
  none: '#e6e6e6',
};

export const LEVEL_LABELS: Readonly<Record<MapLevel, string>> = {
  records: 'patient records readable by a stranger',
  exposed: 'a stranger is let in (no records readable)',
  found: 'archives found, none exposed',
  none: 'nothing scanned',
};

export interface MapCountry {
  readonly country: string;
  readonly level: MapLevel;
  readonly text: string;
}

export interface MapPoint {
  readonly name: string;
  readonly latitude: number;
  readonly longitude: number;
  readonly level: MapLevel;
  /** Records readable there (scales the point). */
  readonly patients: number;
  readonly text: string;
}

type CountryFeature = Feature<Geometry, { name: string }>;

const require = createRequire(import.meta.url);
const atlases = new Map<string, CountryFeature[]>();

function countries(resolution: '110m' | '50m'): CountryFeature[] {
  let list = atlases.get(resolution);
  if (!list) {
    const topo = JSON.parse(
      readFileSync(require.resolve(`world-atlas/countries-${resolution}.json`), 'utf8'),
    ) as Topology<{ countries: GeometryCollection<{ name: string }> }>;
    list = (feature(topo, topo.objects.countries) as FeatureCollection<Geometry, { name: string }>).features;
    atlases.set(resolution, list);
  }
  return list;
}

export function renderMap(mapCountries: readonly MapCountry[], points: readonly MapPoint[]): Html {
  const projection = geoEqualEarth().fitExtent(
    [
      [8, 8],
      [MAP_WIDTH - 8, MAP_HEIGHT - 8],
    ],
    { type: 'Sphere' },
  );
  const path = geoPath(projection).digits(1);
  const byNumeric = new Map<string, MapCountry>();
  for (const c of mapCountries) {
    const n = numericCode(c.country);
    if (n) byNumeric.set(n, c);
  }
  const coarse = countries('110m');
  // Small territories are missing at 1:110m; take them from 1:50m when the scan has them.
  const present = new Set(coarse.map((f) => String(f.id)));
  const extra = countries('50m').filter((f) => byNumeric.has(String(f.id)) && !present.has(String(f.id)));
  const shapes = [...coarse, ...extra].map((f) => {
    const c = byNumeric.get(String(f.id));
    const d = path(f) ?? '';
    const fill = LEVEL_COLOURS[c?.level ?? 'none'];
    const title = c ? `${countryName(c.country)}: ${c.text}` : f.properties.name;
    return markup`<path d="${d}" fill="${fill}" stroke="#ffffff" stroke-width="0.5"><title>${title}</title></path>`;
  });
  const dots = [...points]
    .sort((a, b) => b.patients - a.patients)
    .map((p) => {
      const xy = projection([p.longitude, p.latitude]);
      if (!xy) return markup``;
      const r = Math.min(18, 3 + Math.sqrt(p.patients) / 4);
      const at = `cx="${xy[0].toFixed(1)}" cy="${xy[1].toFixed(1)}" r="${r.toFixed(1)}"`;
      return markup`<circle ${new Html(at)} fill="${LEVEL_COLOURS[p.level]}" fill-opacity="0.85" stroke="#222222" stroke-width="0.8"><title>${p.name}: ${p.text}</title></circle>`;
    });
  const sphere = path({ type: 'Sphere' }) ?? '';
  const svg = `<svg viewBox="0 0 ${MAP_WIDTH} ${MAP_HEIGHT}" role="img" aria-label="Map of exposure by country and facility" class="map">`;
  return markup`${new Html(svg)}<path d="${sphere}" fill="#f4f8fb" stroke="#b0b8c0"/>${join(shapes)}${join(dots)}</svg>`;
}

export function mapLegend(): Html {
  return join(
    (Object.keys(LEVEL_COLOURS) as MapLevel[]).map(
      (l) =>
        markup`<span class="legend"><svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true"><rect width="12" height="12" fill="${LEVEL_COLOURS[l]}"/></svg> ${LEVEL_LABELS[l]}</span>`,
    ),
  );
}
