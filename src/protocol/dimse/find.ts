/**
 * C-FIND (PS3.7 §9.1.2, PS3.4 Annex C): sends one identifier and streams the matches to a
 * callback, one decoded dataset at a time, so that counting a million matches holds one in memory.
 * After `maxMatches` it sends C-CANCEL and drains what is still in flight, within a bound.
 */
import { ProtocolError } from '../status.ts';
import type { DimseChannel } from './channel.ts';
import { CommandDataSetType, CommandField, Priority, statusClass } from './constants.ts';
import { decodeDataset, encodeDataset } from './dataset.ts';

export interface FindRequest {
  readonly contextId: number;
  /** The information model's SOP class (Patient Root, Study Root, ...). */
  readonly sopClassUid: string;
  /** The accepted transfer syntax of `contextId`. */
  readonly transferSyntax: string;
  /** dcmjs-naturalized identifier, e.g. `{ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '' }`. */
  readonly identifier: Readonly<Record<string, unknown>>;
  /** Matches to read before sending C-CANCEL. */
  readonly maxMatches: number;
  readonly timeoutMs?: number | undefined;
  readonly maxIdentifierBytes?: number | undefined;
}

export interface FindSummary {
  /** The final (non-pending) DIMSE status, or null if the query was cancelled and the peer never closed it. */
  readonly finalStatus: number | null;
  /** Pending responses received before any cancel (decoded or not). */
  readonly matches: number;
  readonly cancelled: boolean;
  /** Pending responses whose identifier could not be decoded. */
  readonly undecodable: number;
  /** Distinct Specific Character Set values seen, as the peer wrote them. */
  readonly characterSets: readonly string[];
}

/** Responses still accepted after C-CANCEL before we give up and abort. */
const MAX_DRAIN_AFTER_CANCEL = 10_000;

export async function cFind(
  channel: DimseChannel,
  req: FindRequest,
  onMatch: (dataset: Readonly<Record<string, unknown>>) => void,
): Promise<FindSummary> {
  const messageId = channel.newMessageId();
  channel.send(
    req.contextId,
    {
      commandField: CommandField.CFindRq,
      messageId,
      affectedSopClassUid: req.sopClassUid,
      priority: Priority.Medium,
      commandDataSetType: CommandDataSetType.Present,
    },
    encodeDataset({ ...req.identifier }, req.transferSyntax),
  );
  let matches = 0;
  let undecodable = 0;
  let cancelled = false;
  let drained = 0;
  const charsets = new Set<string>();
  for (;;) {
    const rsp = await channel.receive({ timeoutMs: req.timeoutMs, maxDatasetBytes: req.maxIdentifierBytes });
    const cmd = rsp.command;
    if (cmd.commandField !== CommandField.CFindRsp) {
      channel.association.abort();
      throw new ProtocolError(
        'protocol-error',
        `expected C-FIND-RSP, got command 0x${(cmd.commandField ?? 0).toString(16)}`,
      );
    }
    if (cmd.messageIdBeingRespondedTo !== undefined && cmd.messageIdBeingRespondedTo !== messageId) {
      channel.association.abort();
      throw new ProtocolError('protocol-error', 'C-FIND-RSP answers another message id');
    }
    const status = cmd.status ?? -1;
    if (statusClass(status) !== 'pending') {
      return { finalStatus: status, matches, cancelled, undecodable, characterSets: [...charsets] };
    }
    if (cancelled) {
      if (++drained > MAX_DRAIN_AFTER_CANCEL) {
        channel.association.abort();
        return { finalStatus: null, matches, cancelled, undecodable, characterSets: [...charsets] };
      }
      continue;
    }
    matches += 1;
    if (rsp.dataset && cmd.commandDataSetType !== CommandDataSetType.Absent) {
      const decoded = decodeDataset(rsp.dataset, req.transferSyntax);
      if (decoded.ok) {
        if (decoded.specificCharacterSet) charsets.add(decoded.specificCharacterSet);
        onMatch(decoded.dataset);
      } else {
        undecodable += 1;
      }
    } else {
      undecodable += 1;
    }
    if (matches >= req.maxMatches) {
      cancelled = true;
      channel.send(req.contextId, {
        commandField: CommandField.CCancelRq,
        messageIdBeingRespondedTo: messageId,
        commandDataSetType: CommandDataSetType.Absent,
      });
    }
  }
}
