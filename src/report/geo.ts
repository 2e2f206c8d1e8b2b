/**
 * Country of an address outside the facility registry, from geoip-lite's bundled offline data
 * (no network). The data takes ~100 MB of memory, so it is loaded on the first public address
 * only: private, loopback, link-local and other non-routed addresses never trigger it.
 */
import { createRequire } from 'node:module';
import { BlockList, isIP } from 'node:net';

interface GeoIpLite {
  lookup(ip: string): { country: string } | null;
}

const NOT_ROUTED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const)
  NOT_ROUTED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
] as const)
  NOT_ROUTED.addSubnet(net, prefix, 'ipv6');

let geoip: GeoIpLite | undefined;

/** True when an address is routed on the Internet (worth a GeoIP lookup). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !NOT_ROUTED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** ISO 3166 alpha-2 country of a public address, or null (not public, unknown, or no data). */
export function countryOfAddress(address: string): string | null {
  if (!isPublicAddress(address)) return null;
  try {
    geoip ??= createRequire(import.meta.url)('geoip-lite') as GeoIpLite;
    const country = geoip.lookup(address)?.country;
    return typeof country === 'string' && /^[A-Z]{2}$/.test(country) ? country : null;
  } catch {
    return null;
  }
}

/** Whether the GeoIP data has been loaded in this process (for tests: it must stay lazy). */
export function geoIpLoaded(): boolean {
  return geoip !== undefined;
}
