/**
 * DIMSE messages over an established association: fragments a command (and its dataset)
 * into PDVs, and reassembles the peer's PDVs into messages, with a size cap per message part.
 */
import type { Association } from '../association/requestor.ts';
import type { Pdv } from '../ul/pdu.ts';
import { ProtocolError } from '../status.ts';
import { decodeCommand, encodeCommand, type Command } from './command.ts';
import { CommandDataSetType } from './constants.ts';

export interface DimseMessage {
  readonly contextId: number;
  readonly command: Command;
  /** The dataset's bytes, in the context's transfer syntax; null when the command says none follows. */
  readonly dataset: Uint8Array | null;
}

export interface ReceiveLimits {
  readonly timeoutMs?: number | undefined;
  /** Largest command set accepted. */
  readonly maxCommandBytes?: number | undefined;
  /** Largest dataset accepted in one message. */
  readonly maxDatasetBytes?: number | undefined;
}

const DEFAULT_MAX_COMMAND = 64 * 1024;
const DEFAULT_MAX_DATASET = 4 * 1024 * 1024;

export class DimseChannel {
  readonly association: Association;
  private readonly pending: Pdv[] = [];
  private nextMessageId = 1;

  constructor(association: Association) {
    this.association = association;
  }

  newMessageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = (this.nextMessageId % 0xffff) + 1;
    return id;
  }

  send(contextId: number, command: Command, dataset?: Uint8Array): void {
    this.association.sendPdvs(contextId, true, encodeCommand(command));
    if (dataset) this.association.sendPdvs(contextId, false, dataset);
  }

  /** The next whole message from the peer. Throws ProtocolError on deadline, abort or malformed data. */
  async receive(limits: ReceiveLimits = {}): Promise<DimseMessage> {
    const maxCommand = limits.maxCommandBytes ?? DEFAULT_MAX_COMMAND;
    const maxDataset = limits.maxDatasetBytes ?? DEFAULT_MAX_DATASET;
    const commandBytes = await this.collect(true, maxCommand, limits.timeoutMs);
    const decoded = decodeCommand(commandBytes.bytes);
    if (!decoded.ok) {
      this.association.abort();
      throw new ProtocolError('protocol-error', `bad command set: ${decoded.reason}`);
    }
    const command = decoded.command;
    if (command.commandDataSetType === undefined || command.commandDataSetType === CommandDataSetType.Absent) {
      return { contextId: commandBytes.contextId, command, dataset: null };
    }
    const dataset = await this.collect(false, maxDataset, limits.timeoutMs);
    if (dataset.contextId !== commandBytes.contextId) {
      this.association.abort();
      throw new ProtocolError('protocol-error', 'dataset arrived on another presentation context than its command');
    }
    return { contextId: commandBytes.contextId, command, dataset: dataset.bytes };
  }

  private async nextPdv(timeoutMs: number | undefined): Promise<Pdv> {
    for (;;) {
      const queued = this.pending.shift();
      if (queued) return queued;
      const pdata = await this.association.nextPData(timeoutMs);
      this.pending.push(...pdata.pdvs);
    }
  }

  private async collect(
    isCommand: boolean,
    maxBytes: number,
    timeoutMs: number | undefined,
  ): Promise<{ contextId: number; bytes: Uint8Array }> {
    const parts: Uint8Array[] = [];
    let total = 0;
    let contextId = -1;
    for (;;) {
      const pdv = await this.nextPdv(timeoutMs);
      if (pdv.isCommand !== isCommand) {
        this.association.abort();
        throw new ProtocolError(
          'protocol-error',
          isCommand ? 'dataset fragment where a command was expected' : 'command fragment inside a dataset',
        );
      }
      if (contextId === -1) contextId = pdv.contextId;
      else if (pdv.contextId !== contextId) {
        this.association.abort();
        throw new ProtocolError('protocol-error', 'message fragments on different presentation contexts');
      }
      total += pdv.data.length;
      if (total > maxBytes) {
        this.association.abort();
        throw new ProtocolError('protocol-error', `${isCommand ? 'command' : 'dataset'} larger than ${maxBytes} bytes`);
      }
      parts.push(pdv.data);
      if (pdv.isLast) break;
    }
    return { contextId, bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts) };
  }
}
