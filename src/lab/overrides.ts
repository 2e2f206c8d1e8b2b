/**
 * Changes to a generated fleet, for tests that scan a lab, change it, and scan again (the
 * scan-to-scan diff): the same seed, with some endpoints closed, made to refuse strangers, or
 * opened to anyone. The ground truth is computed from the changed behaviours, so it stays true.
 */
import type { Fleet, FleetEndpoint } from './fleet.ts';

export interface EndpointOverride {
  /** The fleet endpoint id, `host:port` (the port asked for, before any privileged-port remap). */
  readonly endpoint: string;
  /**
   * `close`: the port stops listening. `refuse`: the called AE title is checked, so a stranger's
   * association is refused (RJ 1/1/7). `open`: any called and calling AE title is accepted.
   */
  readonly action: 'close' | 'refuse' | 'open';
}

function apply(ep: FleetEndpoint, action: EndpointOverride['action']): FleetEndpoint {
  if (action === 'close') return { ...ep, kind: 'closed', archetype: null, behaviour: null };
  if (!ep.behaviour) throw new Error(`lab override: ${ep.id} is not a DICOM endpoint (cannot ${action} it)`);
  const ae =
    action === 'refuse'
      ? { ...ep.behaviour.ae, checkCalled: true }
      : { ...ep.behaviour.ae, checkCalled: false, callingAllowList: null };
  return { ...ep, behaviour: { ...ep.behaviour, ae } };
}

/** The fleet with the overrides applied; an unknown endpoint id is an error. */
export function applyOverrides(fleet: Fleet, overrides: readonly EndpointOverride[]): Fleet {
  if (overrides.length === 0) return fleet;
  const byId = new Map(overrides.map((o) => [o.endpoint, o.action] as const));
  for (const id of byId.keys())
    if (!fleet.endpoints.some((e) => e.id === id)) throw new Error(`lab override: no endpoint ${id} in the fleet`);
  const endpoints = fleet.endpoints.map((e) => {
    const action = byId.get(e.id);
    return action ? apply(e, action) : e;
  });
  return {
    ...fleet,
    endpoints,
    hostList: fleet.hostList.map((h) => ({ ...h, endpoints: h.endpoints.map((e) => endpoints[e.index] ?? e) })),
  };
}
