/** Probe `dicom.echo`: C-ECHO on the Verification context of an accepted association. */
import type { DimseChannel } from '../../protocol/dimse/channel.ts';
import { cEcho } from '../../protocol/dimse/echo.ts';
import { SopClass } from '../../protocol/dimse/constants.ts';
import type { Observation, ProbeContext } from '../probe.ts';
import { acceptedContext, type ContextAnswer } from './proposal.ts';
import { observe, round } from './observe.ts';

export interface EchoFacts {
  /** True when the peer answered C-ECHO with status 0x0000. */
  readonly success: boolean;
  /** The DIMSE status returned; null when verification was not negotiated. */
  readonly dimseStatus: number | null;
  readonly negotiated: boolean;
  readonly roundTripMs: number | null;
}

export function probeEcho(
  ctx: ProbeContext,
  channel: DimseChannel,
  answers: readonly ContextAnswer[],
): Promise<Observation<EchoFacts>> {
  return observe<EchoFacts>('dicom.echo', async () => {
    const pc = acceptedContext(answers, SopClass.Verification);
    if (!pc)
      return {
        status: 'success',
        detail: 'verification not accepted',
        facts: { success: false, dimseStatus: null, negotiated: false, roundTripMs: null },
      };
    const t0 = performance.now();
    const r = await cEcho(channel, pc.id, ctx.timeouts.dimseMs);
    return {
      status: 'success',
      facts: {
        success: r.status === 0,
        dimseStatus: r.status,
        negotiated: true,
        roundTripMs: round(performance.now() - t0),
      },
    };
  });
}
