/**
 * C-MOVE (PS3.7 §9.1.4, PS3.4 C.4.2) towards a destination AE the archive cannot know, to learn
 * whether it checks move destinations: a careful archive refuses at once with 0xA801 (Refused:
 * Move Destination unknown); a careless one answers pending or reports sub-operations, i.e. it
 * tried to send images to a title a stranger named. Nothing can arrive here: the C-STORE
 * sub-operations of a C-MOVE go over a separate association to the destination, which is nobody.
 *
 * If the peer answers pending, we send one C-CANCEL-RQ at once and read on to the final
 * response, within a message cap and a deadline. Never throws.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { describeError, statusOf, type Status } from '../status.ts';
import type { DimseChannel } from './channel.ts';
import { CommandDataSetType, CommandField, Priority, statusClass } from './constants.ts';
import { encodeDataset } from './dataset.ts';
import type { SubOperations } from './get.ts';

/**
 * `PMX` + 13 random upper-case hex digits: 16 characters, the AE title maximum (PS3.5 6.2).
 * Random per call so that no archive can have it configured; the prefix makes it recognisable
 * as pacsmap's in the archive's own logs.
 */
export function unknownMoveDestination(): string {
  return `PMX${randomBytes(7).toString('hex').slice(0, 13).toUpperCase()}`;
}

export interface MoveRequest {
  readonly contextId: number;
  readonly sopClassUid: string;
  readonly transferSyntax: string;
  readonly identifier: Readonly<Record<string, unknown>>;
  readonly moveDestination: string;
  readonly timeoutMs?: number | undefined;
  readonly totalTimeoutMs?: number | undefined;
  /** Responses read before giving up (default 1000). */
  readonly maxMessages?: number | undefined;
}

export interface MoveResult {
  /** 'success' means the exchange reached a final C-MOVE-RSP. */
  readonly status: Status;
  readonly detail: string | null;
  readonly finalStatus: number | null;
  readonly pendingResponses: number;
  readonly subOperations: SubOperations;
  readonly cancelSent: boolean;
}

const DEFAULT_MAX_MESSAGES = 1_000;
/** Identifiers on C-MOVE responses (failed SOP instance lists) are not read: keep them small. */
const MAX_RESPONSE_DATASET = 256 * 1024;

export async function cMove(channel: DimseChannel, req: MoveRequest): Promise<MoveResult> {
  const maxMessages = req.maxMessages ?? DEFAULT_MAX_MESSAGES;
  const deadline = req.totalTimeoutMs !== undefined ? performance.now() + req.totalTimeoutMs : Infinity;
  let finalStatus: number | null = null;
  let pendingResponses = 0;
  let subOperations: SubOperations = { remaining: null, completed: null, failed: null, warning: null };
  let cancelSent = false;
  const result = (status: Status, detail: string | null): MoveResult => ({
    status,
    detail,
    finalStatus,
    pendingResponses,
    subOperations,
    cancelSent,
  });
  const messageId = channel.newMessageId();
  try {
    channel.send(
      req.contextId,
      {
        commandField: CommandField.CMoveRq,
        messageId,
        affectedSopClassUid: req.sopClassUid,
        priority: Priority.Medium,
        moveDestination: req.moveDestination,
        commandDataSetType: CommandDataSetType.Present,
      },
      encodeDataset({ ...req.identifier }, req.transferSyntax),
    );
    for (let messages = 0; ; messages++) {
      if (messages >= maxMessages) {
        channel.association.abort();
        return result('protocol-error', `more than ${maxMessages} responses to one C-MOVE`);
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        channel.association.abort();
        return result('io-timeout', 'C-MOVE did not finish within its deadline');
      }
      const rsp = await channel.receive({
        timeoutMs: Math.min(req.timeoutMs ?? left, left),
        maxDatasetBytes: MAX_RESPONSE_DATASET,
      });
      const cmd = rsp.command;
      if (cmd.commandField !== CommandField.CMoveRsp) {
        channel.association.abort();
        return result('protocol-error', `expected C-MOVE-RSP, got command 0x${(cmd.commandField ?? 0).toString(16)}`);
      }
      if (cmd.messageIdBeingRespondedTo !== undefined && cmd.messageIdBeingRespondedTo !== messageId) {
        channel.association.abort();
        return result('protocol-error', 'C-MOVE-RSP answers another message id');
      }
      if (
        cmd.numberOfRemainingSuboperations !== undefined ||
        cmd.numberOfCompletedSuboperations !== undefined ||
        cmd.numberOfFailedSuboperations !== undefined ||
        cmd.numberOfWarningSuboperations !== undefined
      ) {
        subOperations = {
          remaining: cmd.numberOfRemainingSuboperations ?? null,
          completed: cmd.numberOfCompletedSuboperations ?? null,
          failed: cmd.numberOfFailedSuboperations ?? null,
          warning: cmd.numberOfWarningSuboperations ?? null,
        };
      }
      const status = cmd.status ?? -1;
      if (statusClass(status) === 'pending') {
        pendingResponses += 1;
        if (!cancelSent) {
          // It is trying to send somewhere a stranger named: that is the finding; stop it.
          cancelSent = true;
          channel.send(req.contextId, {
            commandField: CommandField.CCancelRq,
            messageIdBeingRespondedTo: messageId,
            commandDataSetType: CommandDataSetType.Absent,
          });
        }
        continue;
      }
      finalStatus = status;
      return result('success', null);
    }
  } catch (err) {
    if (channel.association.isOpen) channel.association.abort();
    return result(statusOf(err), describeError(err));
  }
}

export type MoveMeaning =
  /** 0xA801: the archive checks destinations. */
  | 'destination-refused'
  /** Pending responses, sub-operation counts, or success/warning: the archive tried. */
  | 'attempted'
  /** Another failure (e.g. not authorised, 0x0124; unable to process, 0xC000). */
  | 'refused'
  /** No C-MOVE context accepted. */
  | 'not-offered'
  /** No final status (deadline, abort, malformed answer). */
  | 'no-answer';

/** Reads a C-MOVE result as an exposure fact. */
export function moveMeaning(r: Pick<MoveResult, 'finalStatus' | 'pendingResponses' | 'subOperations'>): MoveMeaning {
  const s = r.subOperations;
  const triedSomething =
    r.pendingResponses > 0 || (s.completed ?? 0) > 0 || (s.failed ?? 0) > 0 || (s.warning ?? 0) > 0;
  if (r.finalStatus === 0xa801 && !triedSomething) return 'destination-refused';
  if (triedSomething) return 'attempted';
  if (r.finalStatus === null) return 'no-answer';
  const c = statusClass(r.finalStatus);
  // Success or warning with zero sub-operations still means the destination was accepted.
  if (c === 'success' || c === 'warning' || c === 'cancel') return 'attempted';
  return 'refused';
}
