/**
 * What happens on one open port: DICOM (plaintext or TLS) and the web probes, in the order the
 * port suggests.
 *
 * - DICOM first on every port but the known web ports. With TLS on `auto`, a port whose plaintext
 *   answer is not DICOM (garbage, a hang-up) is tried once more over TLS, and port 2762 (IANA
 *   DICOM-TLS) is tried over TLS first.
 * - Web first on the ports default-ports.json marks http/https (8042, 8080, 80, 443).
 * - Whichever goes first, the other is tried when the port answered something else: an Orthanc
 *   on 4242's neighbour, a DICOM listener on 8080.
 */
import { safe } from '../log/safe-text.ts';
import type { DicomIdentity, ProbeContext } from '../probes/probe.ts';
import { scanWebEndpoint } from '../probes/web/scan-web-endpoint.ts';
import { DEFAULT_PORT_INFO } from '../targets/ports.ts';
import type { EndpointResult } from './endpoint-result.ts';
import { scanEndpoint, type EndpointScan, type ScanEndpointOptions } from './scan-endpoint.ts';
import { endpointFromWeb } from './web-result.ts';

export type TlsMode = 'auto' | 'on' | 'off';

export const DICOM_TLS_PORT = 2762;
// Answers that say "not this transport": garbage or a hang-up for plaintext, a failed handshake for TLS.
const RETRY_OVER_OTHER_TRANSPORT = new Set(['protocol-error', 'connection-closed', 'handshake-error']);
// Something answered, but not DICOM: worth asking over HTTP.
const ANSWERED_SOMETHING_ELSE = new Set([
  'protocol-error',
  'connection-closed',
  'handshake-error',
  'application-error',
]);

const WEB_PORTS: ReadonlyMap<number, boolean> = new Map(
  DEFAULT_PORT_INFO.filter((p) => p.transport === 'http' || p.transport === 'https').map((p) => [
    p.port,
    p.transport === 'https',
  ]),
);

export interface PortProbeOptions {
  readonly tls: TlsMode;
  readonly identity: DicomIdentity;
  /** Called before each connection a probe opens (the scan's connection-rate limit). */
  readonly beforeConnect?: () => Promise<void>;
  /** Passed to the DICOM probes (AE-title discovery, retrieval depth). */
  readonly dicom?: ScanEndpointOptions;
  /** false: DICOM only (the web probes never run). Default true. */
  readonly web?: boolean;
  /** Try products' documented default logins on web faces that demand one (opt-in). */
  readonly tryDefaultCredentials?: boolean;
}

/** DICOM, then (when the answer was not DICOM) the other transport. */
export async function probeDicomPort(
  ctx: ProbeContext,
  host: string,
  port: number,
  options: PortProbeOptions,
): Promise<EndpointScan> {
  const { tls, identity } = options;
  const firstTls = tls === 'on' || (tls === 'auto' && port === DICOM_TLS_PORT);
  await options.beforeConnect?.();
  const first = await scanEndpoint(ctx, { host, port, tls: firstTls }, identity, options.dicom);
  const a = first.associate;
  if (tls !== 'auto' || a.facts?.spokeDicom || !RETRY_OVER_OTHER_TRANSPORT.has(a.status)) return first;
  ctx.log.log('debug', safe('retry-over-other-transport'), { port, tls: !firstTls });
  await options.beforeConnect?.();
  const other = await scanEndpoint(ctx, { host, port, tls: !firstTls }, identity, options.dicom);
  return other.associate.facts?.spokeDicom ? other : first;
}

async function probeWeb(
  ctx: ProbeContext,
  host: string,
  port: number,
  https: boolean,
  options: PortProbeOptions,
): Promise<EndpointResult | null> {
  await options.beforeConnect?.();
  const web = await scanWebEndpoint(
    ctx,
    { host, port, tls: https },
    {
      tryDefaultCredentials: options.tryDefaultCredentials === true,
    },
  );
  return web.result.service === null ? null : endpointFromWeb(web.result, options.identity);
}

/** Every probe an open port deserves; the result of the service that answered. */
export async function probeOpenPort(
  ctx: ProbeContext,
  host: string,
  port: number,
  options: PortProbeOptions,
): Promise<EndpointResult> {
  const webFirst = WEB_PORTS.get(port);
  const webAllowed = options.web !== false;
  if (webAllowed && webFirst !== undefined) {
    const web = await probeWeb(ctx, host, port, webFirst, options);
    if (web) return web;
    return (await probeDicomPort(ctx, host, port, options)).result;
  }
  const dicom = await probeDicomPort(ctx, host, port, options);
  if (!webAllowed || dicom.result.service !== null || !ANSWERED_SOMETHING_ELSE.has(dicom.result.status))
    return dicom.result;
  return (await probeWeb(ctx, host, port, false, options)) ?? dicom.result;
}
