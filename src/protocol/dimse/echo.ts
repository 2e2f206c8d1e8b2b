/** C-ECHO (PS3.7 §9.1.5): the DICOM ping. */
import { ProtocolError } from '../status.ts';
import type { DimseChannel } from './channel.ts';
import { CommandDataSetType, CommandField, SopClass } from './constants.ts';

export interface EchoResult {
  /** The DIMSE status the peer returned (0x0000 is success). */
  readonly status: number;
}

export async function cEcho(channel: DimseChannel, contextId: number, timeoutMs?: number): Promise<EchoResult> {
  const messageId = channel.newMessageId();
  channel.send(contextId, {
    commandField: CommandField.CEchoRq,
    messageId,
    affectedSopClassUid: SopClass.Verification,
    commandDataSetType: CommandDataSetType.Absent,
  });
  const rsp = await channel.receive({ timeoutMs });
  if (rsp.command.commandField !== CommandField.CEchoRsp) {
    throw new ProtocolError(
      'protocol-error',
      `expected C-ECHO-RSP, got command 0x${(rsp.command.commandField ?? 0).toString(16)}`,
    );
  }
  return { status: rsp.command.status ?? -1 };
}
