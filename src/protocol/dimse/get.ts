/**
 * C-GET (PS3.7 §9.1.3, PS3.4 C.4.3): asks the peer to send matching instances back over this same
 * association, as C-STORE sub-operations in which we are the Storage SCP. Only possible on an
 * association where the storage SOP classes were proposed with the SCP role (PS3.7 D.3.3.4) and
 * the acceptor agreed.
 *
 * Built to prove that images leave an archive, not to collect them:
 * - the first instance is kept in memory only long enough to check that it parses as DICOM (dcmjs,
 *   through dataset.ts) and carries pixel data or is a known non-image class; then it is dropped.
 *   Nothing is ever written anywhere. What leaves this module: byte count, SOP class, transfer
 *   syntax, booleans and DIMSE statuses.
 * - after one instance, every further C-STORE-RQ is answered with 0xA700 (Refused: Out of
 *   Resources) and one C-CANCEL-RQ is sent for the C-GET, so a peer that would send a whole study
 *   stops early. (Callers ask for one instance at IMAGE level anyway; this is the safety net.)
 * - a data set larger than `maxInstanceBytes` is cut off: the channel aborts the association at
 *   the cap, so memory stays bounded; the result says `instanceTooLarge`.
 * - every message has a deadline, the whole exchange has one, and the number of messages is capped.
 *
 * Never throws: peer misbehaviour and deadlines become a status with the facts gathered so far.
 */
import { performance } from 'node:perf_hooks';
import { ProtocolError, describeError, statusOf, type Status } from '../status.ts';
import type { DimseChannel } from './channel.ts';
import type { Command } from './command.ts';
import { CommandDataSetType, CommandField, Priority, Status as DimseStatus, statusClass } from './constants.ts';
import { decodeDataset, encodeDataset } from './dataset.ts';

/** Default cap on one received instance. */
export const DEFAULT_MAX_INSTANCE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_MESSAGES = 1_000;

/**
 * Storage SOP classes without pixel data that still count as a retrieved instance (PS3.4 B.5):
 * SR, encapsulated documents, RT structure sets and plans, key objects, presentation states.
 * Matched by prefix where the standard groups a family under one root.
 */
const NON_IMAGE_CLASS_PREFIXES: readonly string[] = [
  '1.2.840.10008.5.1.4.1.1.88.', // Structured Reporting family, Key Object Selection
  '1.2.840.10008.5.1.4.1.1.104.', // Encapsulated PDF, CDA, STL, …
  '1.2.840.10008.5.1.4.1.1.11.', // Presentation states
  '1.2.840.10008.5.1.4.1.1.481.', // RT (dose, structure set, plan, treatment records)
  '1.2.840.10008.5.1.4.1.1.9.', // Waveforms
];

export function isNonImageStorageClass(uid: string): boolean {
  return NON_IMAGE_CLASS_PREFIXES.some((p) => uid.startsWith(p));
}

export interface StorageContext {
  readonly contextId: number;
  readonly transferSyntax: string;
}

export interface GetRequest {
  /** The Q/R GET context (Study Root or Patient Root). */
  readonly contextId: number;
  readonly sopClassUid: string;
  /** The accepted transfer syntax of `contextId`. */
  readonly transferSyntax: string;
  /** e.g. `{ QueryRetrieveLevel: 'IMAGE', StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID }`. */
  readonly identifier: Readonly<Record<string, unknown>>;
  /** Storage contexts accepted with our SCP role; a C-STORE-RQ elsewhere is refused. */
  readonly storageContexts: readonly StorageContext[];
  /** Largest instance read (default 64 MiB); beyond it the association is aborted. */
  readonly maxInstanceBytes?: number | undefined;
  /** Deadline per message (PDU). */
  readonly timeoutMs?: number | undefined;
  /** Deadline for the whole C-GET, from the request to the final response. */
  readonly totalTimeoutMs?: number | undefined;
  /** Messages read before giving up (default 1000). */
  readonly maxMessages?: number | undefined;
}

export interface SubOperations {
  readonly remaining: number | null;
  readonly completed: number | null;
  readonly failed: number | null;
  readonly warning: number | null;
}

export interface ReceivedInstance {
  /** The SOP class of the instance (a class, never an instance UID). */
  readonly sopClassUid: string | null;
  /** Transfer syntax of the presentation context it arrived on. */
  readonly transferSyntax: string | null;
  /** Bytes of the data set as received (no Part 10 preamble or meta header). */
  readonly bytes: number;
  /** Parsed as a DICOM data set, and its SOP Class UID agrees with the command's. */
  readonly isDicom: boolean;
  readonly hasPixelData: boolean;
  /** The status we answered in C-STORE-RSP. */
  readonly storeStatus: number;
}

export interface GetResult {
  /** How the exchange went at the protocol level; 'success' means it ran to a final C-GET-RSP. */
  readonly status: Status;
  /** Our own words when status is not success. */
  readonly detail: string | null;
  /** Final C-GET-RSP status, null if none arrived. */
  readonly finalStatus: number | null;
  readonly pendingResponses: number;
  /** From the last C-GET-RSP that carried them. */
  readonly subOperations: SubOperations;
  /** C-STORE-RQ sub-operations the peer started (including refused ones). */
  readonly storeRequests: number;
  /** C-STORE-RQs we refused (after the first, or on a context we had not accepted). */
  readonly storesRefused: number;
  /** The first instance received, described; null if none. */
  readonly instance: ReceivedInstance | null;
  /** A data set went over `maxInstanceBytes`: the association was aborted at the cap. */
  readonly instanceTooLarge: boolean;
  readonly cancelSent: boolean;
}

/** Answer to a C-STORE-RQ after we have one instance: no room (PS3.4 B.2.3). */
const REFUSE_STORE = DimseStatus.RefusedOutOfResources;
/** Answer to a data set we could not parse (PS3.4 B.2.3 "Cannot understand"). */
const CANNOT_UNDERSTAND = DimseStatus.UnableToProcess;

function firstString(v: unknown): string | null {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' && x.length > 0 ? x : null;
}

/** Parses the data set in memory and keeps only what may leave: booleans and the SOP class. */
function inspect(
  bytes: Uint8Array,
  transferSyntax: string,
  commandClass: string | undefined,
  maxBytes: number,
): { isDicom: boolean; hasPixelData: boolean; sopClassUid: string | null } {
  const decoded = decodeDataset(bytes, transferSyntax, { maxLength: maxBytes });
  if (!decoded.ok) return { isDicom: false, hasPixelData: false, sopClassUid: commandClass ?? null };
  const ds = decoded.dataset;
  const sopClass = firstString(ds['SOPClassUID']);
  const hasInstanceUid = firstString(ds['SOPInstanceUID']) !== null;
  const hasPixelData = ds['PixelData'] !== undefined || ds['FloatPixelData'] !== undefined;
  // A data set is taken as DICOM when it parses and names itself consistently with the command.
  const consistent = sopClass !== null && hasInstanceUid && (commandClass === undefined || commandClass === sopClass);
  return { isDicom: consistent, hasPixelData, sopClassUid: sopClass ?? commandClass ?? null };
}

function countsOf(cmd: Command, prev: SubOperations): SubOperations {
  const has =
    cmd.numberOfRemainingSuboperations !== undefined ||
    cmd.numberOfCompletedSuboperations !== undefined ||
    cmd.numberOfFailedSuboperations !== undefined ||
    cmd.numberOfWarningSuboperations !== undefined;
  if (!has) return prev;
  return {
    remaining: cmd.numberOfRemainingSuboperations ?? null,
    completed: cmd.numberOfCompletedSuboperations ?? null,
    failed: cmd.numberOfFailedSuboperations ?? null,
    warning: cmd.numberOfWarningSuboperations ?? null,
  };
}

export async function cGet(channel: DimseChannel, req: GetRequest): Promise<GetResult> {
  const maxInstanceBytes = req.maxInstanceBytes ?? DEFAULT_MAX_INSTANCE_BYTES;
  const maxMessages = req.maxMessages ?? DEFAULT_MAX_MESSAGES;
  const deadline = req.totalTimeoutMs !== undefined ? performance.now() + req.totalTimeoutMs : Infinity;
  let finalStatus: number | null = null;
  let pendingResponses = 0;
  let subOperations: SubOperations = { remaining: null, completed: null, failed: null, warning: null };
  let storeRequests = 0;
  let storesRefused = 0;
  let instance: ReceivedInstance | null = null;
  let instanceTooLarge = false;
  let cancelSent = false;
  const result = (status: Status, detail: string | null): GetResult => ({
    status,
    detail,
    finalStatus,
    pendingResponses,
    subOperations,
    storeRequests,
    storesRefused,
    instance,
    instanceTooLarge,
    cancelSent,
  });

  const messageId = channel.newMessageId();
  const cancel = (): void => {
    if (cancelSent) return;
    cancelSent = true;
    channel.send(req.contextId, {
      commandField: CommandField.CCancelRq,
      messageIdBeingRespondedTo: messageId,
      commandDataSetType: CommandDataSetType.Absent,
    });
  };

  try {
    channel.send(
      req.contextId,
      {
        commandField: CommandField.CGetRq,
        messageId,
        affectedSopClassUid: req.sopClassUid,
        priority: Priority.Medium,
        commandDataSetType: CommandDataSetType.Present,
      },
      encodeDataset({ ...req.identifier }, req.transferSyntax),
    );
    for (let messages = 0; ; messages++) {
      if (messages >= maxMessages) {
        channel.association.abort();
        return result('protocol-error', `more than ${maxMessages} messages in one C-GET`);
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        channel.association.abort();
        return result('io-timeout', 'C-GET did not finish within its deadline');
      }
      const perMessage = Math.min(req.timeoutMs ?? left, left);
      // A C-STORE-RQ's data set is the instance: bounded by maxInstanceBytes (the channel aborts past it).
      const msg = await channel.receive({ timeoutMs: perMessage, maxDatasetBytes: maxInstanceBytes });
      const cmd = msg.command;
      if (cmd.commandField === CommandField.CStoreRq) {
        storeRequests += 1;
        const ctx = req.storageContexts.find((c) => c.contextId === msg.contextId);
        let status: number = REFUSE_STORE;
        if (instance === null && ctx !== undefined && msg.dataset !== null) {
          const facts = inspect(msg.dataset, ctx.transferSyntax, cmd.affectedSopClassUid, maxInstanceBytes);
          status = facts.isDicom ? DimseStatus.Success : CANNOT_UNDERSTAND;
          instance = {
            sopClassUid: facts.sopClassUid,
            transferSyntax: ctx.transferSyntax,
            bytes: msg.dataset.length,
            isDicom: facts.isDicom,
            hasPixelData: facts.hasPixelData,
            storeStatus: status,
          };
        } else {
          storesRefused += 1;
        }
        // msg.dataset goes out of scope here: the instance is never kept.
        channel.send(msg.contextId, {
          commandField: CommandField.CStoreRsp,
          messageIdBeingRespondedTo: cmd.messageId ?? 0,
          affectedSopClassUid: cmd.affectedSopClassUid,
          affectedSopInstanceUid: cmd.affectedSopInstanceUid,
          commandDataSetType: CommandDataSetType.Absent,
          status,
        });
        if (storeRequests > 1) cancel();
        continue;
      }
      if (cmd.commandField !== CommandField.CGetRsp) {
        channel.association.abort();
        return result(
          'protocol-error',
          `expected C-GET-RSP or C-STORE-RQ, got command 0x${(cmd.commandField ?? 0).toString(16)}`,
        );
      }
      if (cmd.messageIdBeingRespondedTo !== undefined && cmd.messageIdBeingRespondedTo !== messageId) {
        channel.association.abort();
        return result('protocol-error', 'C-GET-RSP answers another message id');
      }
      subOperations = countsOf(cmd, subOperations);
      const status = cmd.status ?? -1;
      if (statusClass(status) === 'pending') {
        pendingResponses += 1;
        // We have our one instance and the peer says more are coming: stop it politely.
        if (instance !== null && (subOperations.remaining ?? 0) > 0) cancel();
        continue;
      }
      finalStatus = status;
      return result('success', null);
    }
  } catch (err) {
    const detail = describeError(err);
    // The channel's own words when a data set passes our cap (it has already aborted).
    if (err instanceof ProtocolError && /^dataset larger than \d+ bytes$/.test(detail)) {
      instanceTooLarge = true;
    }
    if (channel.association.isOpen) channel.association.abort();
    return result(statusOf(err), detail);
  }
}
