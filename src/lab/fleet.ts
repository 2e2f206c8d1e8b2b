/**
 * Fleet generation: from (hosts, seed) to a deterministic set of simulated hosts on loopback
 * addresses, their endpoints (DICOM, DICOM over TLS, HTTP, tarpits, closed ports) and the fictional
 * facilities that own them. Pure: no sockets, no files (see lab.ts for those).
 *
 * Same options, same fleet: every random choice comes from one seeded source, forked per host.
 */
import { Deck, Rng, hash32 } from './random.ts';
import { archetype, archetypeDeck, buildBehaviour } from './profiles.ts';
import type { DicomBehaviour } from './types.ts';

/** The ports every lab host has, open or closed (classic DICOM, DICOM alt, Orthanc, DICOM-TLS). */
export const LAB_PORTS = [104, 11112, 4242, 2762] as const;
export const DEFAULT_SUBNET = '127.77.0.0/16';
export const DICOM_TLS_PORT = 2762;

export type EndpointKind = 'dicom' | 'dicom-tls' | 'http' | 'tarpit' | 'closed';

export interface FleetOptions {
  readonly hosts: number;
  /** Any text; numbers are fine. Default '1'. */
  readonly seed?: string | number | undefined;
  /** A block inside 127.0.0.0/8, prefix /8 to /24. Default 127.77.0.0/16. */
  readonly subnet?: string | undefined;
  /** DICOM over TLS endpoints (needs a certificate at start). Default true. */
  readonly tls?: boolean | undefined;
  /** Largest archive (studies) any endpoint holds. Default 1200. */
  readonly maxStudies?: number | undefined;
}

export interface FleetEndpoint {
  /** Index in `fleet.endpoints`. */
  readonly index: number;
  /** `host:port`. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly kind: EndpointKind;
  readonly facilityId: string;
  /** Archetype id for DICOM endpoints. */
  readonly archetype: string | null;
  readonly behaviour: DicomBehaviour | null;
}

export interface FleetHost {
  readonly index: number;
  readonly address: string;
  readonly facilityId: string;
  readonly endpoints: readonly FleetEndpoint[];
}

export interface Facility {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly country: string;
  readonly countryCode: string;
  readonly contactEmail: string;
  /** Address ranges it owns (`a.b.c.d` or `a.b.c.d-e.f.g.h`). */
  readonly ranges: readonly string[];
  readonly hosts: readonly string[];
  readonly lat: number;
  readonly lon: number;
}

export interface Fleet {
  readonly hosts: number;
  readonly seed: string;
  readonly subnet: string;
  readonly tls: boolean;
  /** Four digits from the seed, part of every synthetic UID. */
  readonly fleetTag: number;
  readonly hostList: readonly FleetHost[];
  readonly endpoints: readonly FleetEndpoint[];
  readonly facilities: readonly Facility[];
}

export const MAX_HOSTS = 60_000;

// ─── addresses ────────────────────────────────────────────────────────────────

function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`not an IPv4 address: ${ip}`);
  }
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

export function intToIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Parses and checks a lab subnet: inside 127.0.0.0/8, prefix 8..24. Returns [first, last] as integers. */
export function parseLabSubnet(subnet: string): { base: number; size: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(subnet.trim());
  if (!m) throw new RangeError(`not a CIDR block: ${subnet}`);
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 24) throw new RangeError(`lab subnet prefix must be /8 to /24: ${subnet}`);
  const size = 2 ** (32 - prefix);
  const base = (ipToInt(m[1] ?? '') & ~(size - 1)) >>> 0;
  if (base >>> 24 !== 127) throw new RangeError(`the lab only uses loopback addresses (127.0.0.0/8): ${subnet}`);
  return { base, size };
}

/**
 * The first `n` usable host addresses of the subnet: never x.y.z.0 or x.y.z.255, and never inside
 * 127.0.0.0/16 (where 127.0.0.1 and everything else on the machine lives).
 */
export function labAddresses(subnet: string, n: number): number[] {
  const { base, size } = parseLabSubnet(subnet);
  const out: number[] = [];
  for (let i = 0; i < size && out.length < n; i++) {
    const a = base + i;
    const last = a & 255;
    if (last === 0 || last === 255 || a >>> 16 === 0x7f00) continue;
    out.push(a);
  }
  if (out.length < n) throw new RangeError(`${subnet} has room for ${out.length} lab hosts, not ${n}`);
  return out;
}

/** Consecutive addresses merged into `a-b` ranges. */
export function toRanges(addresses: readonly number[]): string[] {
  const sorted = [...addresses].sort((x, y) => x - y);
  const out: string[] = [];
  let start = sorted[0];
  let prev = start;
  for (const a of sorted.slice(1).concat([-1])) {
    if (prev !== undefined && start !== undefined && a !== prev + 1) {
      out.push(start === prev ? intToIp(start) : `${intToIp(start)}-${intToIp(prev)}`);
      start = a;
    }
    prev = a;
  }
  return out;
}

// ─── facilities ───────────────────────────────────────────────────────────────

const TOWN_HEADS = [
  'Ash',
  'Bel',
  'Cor',
  'Dun',
  'El',
  'Fen',
  'Gar',
  'Hol',
  'Ivy',
  'Kel',
  'Lin',
  'Mar',
  'Nor',
  'Oak',
  'Pen',
  'Quin',
  'Ros',
  'Sel',
  'Tor',
  'Val',
  'Wick',
  'Yar',
];
const TOWN_TAILS = ['ford', 'mere', 'ton', 'bury', 'field', 'haven', 'wick', 'stead', 'moor', 'dale', 'brook', 'gate'];
const FACILITY_TYPES: readonly (readonly [string, number])[] = [
  ['General Hospital', 5],
  ['University Hospital', 2],
  ['Regional Medical Centre', 2],
  ['Imaging Centre', 3],
  ['Clinic', 3],
  ['Health Centre', 3],
  ["Children's Hospital", 1],
  ['Radiology Practice', 2],
];
/**
 * Where the fictional facilities are: uninhabited ISO 3166 territories (Antarctica, Heard Island
 * and McDonald Islands), so the codes pass any registry validation while no lab facility can ever
 * be mistaken for a real hospital, on a map or in a report.
 */
const REGIONS: readonly { name: string; country: string; code: string; lat: number; lon: number }[] = [
  { name: 'Ross Sector', country: 'Antarctica', code: 'AQ', lat: -78.2, lon: 167.5 },
  { name: 'Weddell Sector', country: 'Antarctica', code: 'AQ', lat: -75.1, lon: -45.3 },
  { name: 'Queen Maud Sector', country: 'Antarctica', code: 'AQ', lat: -71.6, lon: 10.2 },
  { name: 'Wilkes Sector', country: 'Antarctica', code: 'AQ', lat: -68.9, lon: 115.4 },
  { name: 'Heard Island', country: 'Heard Island and McDonald Islands', code: 'HM', lat: -53.1, lon: 73.5 },
  { name: 'McDonald Islands', country: 'Heard Island and McDonald Islands', code: 'HM', lat: -53.0, lon: 72.6 },
];

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/'/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

// ─── generation ───────────────────────────────────────────────────────────────

export function generateFleet(opts: FleetOptions): Fleet {
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > MAX_HOSTS) {
    throw new RangeError(`hosts must be a whole number from 1 to ${MAX_HOSTS}`);
  }
  const seed = String(opts.seed ?? '1');
  const subnet = opts.subnet ?? DEFAULT_SUBNET;
  const tls = opts.tls ?? true;
  const maxStudies = opts.maxStudies ?? 1200;
  const addresses = labAddresses(subnet, opts.hosts);
  const root = new Rng(`pacsmap-lab:${seed}`);
  const fleetTag = hash32(`tag:${seed}`) % 10_000;
  const profiles = new Deck(root.fork('profiles'), archetypeDeck());
  const decoys = new Deck<EndpointKind>(root.fork('decoys'), ['http', 'http', 'tarpit']);
  const layout = root.fork('layout');
  const facilityRng = root.fork('facilities');

  // Facilities: runs of 1..5 consecutive hosts.
  const facilityOf: string[] = [];
  const facilities: Facility[] = [];
  const usedNames = new Set<string>();
  const regionCount = Math.max(1, Math.min(REGIONS.length, Math.ceil(opts.hosts / 9)));
  for (let h = 0; h < opts.hosts;) {
    const size = Math.min(
      opts.hosts - h,
      facilityRng.weighted<number>([
        [1, 20],
        [2, 25],
        [3, 25],
        [4, 18],
        [5, 12],
      ]),
    );
    const n = facilities.length + 1;
    const id = `LAB-F${String(n).padStart(4, '0')}`;
    let name = `${facilityRng.pick(TOWN_HEADS)}${facilityRng.pick(TOWN_TAILS)} ${facilityRng.weighted(FACILITY_TYPES)}`;
    for (let k = 2; usedNames.has(name); k++) name = `${name.replace(/ \d+$/, '')} ${k}`;
    usedNames.add(name);
    const region = REGIONS[facilityRng.int(0, regionCount - 1)] ?? (REGIONS[0] as (typeof REGIONS)[number]);
    const own = addresses.slice(h, h + size);
    facilities.push({
      id,
      name,
      region: region.name,
      country: region.country,
      countryCode: region.code,
      contactEmail: `security@${slug(name)}.example`,
      ranges: toRanges(own),
      hosts: own.map(intToIp),
      lat: Math.round((region.lat + (facilityRng.float() - 0.5) * 0.8) * 1e4) / 1e4,
      lon: Math.round((region.lon + (facilityRng.float() - 0.5) * 1.6) * 1e4) / 1e4,
    });
    for (let i = 0; i < size; i++) facilityOf.push(id);
    h += size;
  }

  const hostList: FleetHost[] = [];
  const endpoints: FleetEndpoint[] = [];
  for (let h = 0; h < opts.hosts; h++) {
    const address = intToIp(addresses[h] ?? 0);
    const facilityId = facilityOf[h] ?? '';
    const hostRng = layout.fork(`host${h}`);
    const open = hostRng.weighted<number>([
      [1, 50],
      [2, 35],
      [3, 15],
    ]);
    // What runs on this host: mostly DICOM services, sometimes something else on a DICOM port.
    const services: { kind: 'dicom' | 'decoy'; archetype: string | null }[] = [];
    for (let i = 0; i < open; i++) {
      if (hostRng.chance(0.16)) services.push({ kind: 'decoy', archetype: null });
      else services.push({ kind: 'dicom', archetype: profiles.draw() });
    }
    const free: number[] = [...LAB_PORTS];
    const byPort = new Map<number, FleetEndpoint>();
    for (const s of services) {
      // Usually the archetype's favourite port, sometimes another of its ports.
      const ports = s.archetype ? archetype(s.archetype).ports : LAB_PORTS;
      const preferred = s.archetype && hostRng.chance(0.6) ? ports : hostRng.shuffle(ports);
      const port = preferred.find((p) => free.includes(p)) ?? hostRng.pick(free);
      free.splice(free.indexOf(port), 1);
      const index = -1; // assigned below, in port order
      if (s.kind === 'decoy') {
        byPort.set(port, {
          index,
          id: `${address}:${port}`,
          host: address,
          port,
          kind: decoys.draw(),
          facilityId,
          archetype: null,
          behaviour: null,
        });
        continue;
      }
      const a = archetype(s.archetype as string);
      const tlsHere = tls && (port === DICOM_TLS_PORT ? hostRng.chance(0.85) : port === 11112 && hostRng.chance(0.1));
      byPort.set(port, {
        index,
        id: `${address}:${port}`,
        host: address,
        port,
        kind: tlsHere ? 'dicom-tls' : 'dicom',
        facilityId,
        archetype: a.id,
        behaviour: null,
      });
    }
    const hostEndpoints: FleetEndpoint[] = [];
    for (const port of LAB_PORTS) {
      const planned = byPort.get(port);
      const index = endpoints.length;
      let ep: FleetEndpoint;
      if (!planned) {
        ep = {
          index,
          id: `${address}:${port}`,
          host: address,
          port,
          kind: 'closed',
          facilityId,
          archetype: null,
          behaviour: null,
        };
      } else if (planned.archetype) {
        const behaviour = buildBehaviour(archetype(planned.archetype), hostRng.fork(`ep${port}`), {
          endpoint: index,
          fleetTag,
          maxStudies,
        });
        ep = { ...planned, index, behaviour };
      } else {
        ep = { ...planned, index };
      }
      endpoints.push(ep);
      hostEndpoints.push(ep);
    }
    hostList.push({ index: h, address, facilityId, endpoints: hostEndpoints });
  }
  return { hosts: opts.hosts, seed, subnet, tls, fleetTag, hostList, endpoints, facilities };
}
