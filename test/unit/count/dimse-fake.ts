/**
 * An in-process C-FIND responder behind the DimseChannel interface, for counting tests at scale:
 * real identifiers (encoded once as a template, values patched per study) go through the real
 * cFind and its dcmjs decoding; StudyDate/StudyTime ranges are honoured; more than `cap` matches
 * give `cap` pending responses then Cancel 0xFE00 (as Orthanc 1.10's LimitFindResults does).
 * Studies are a function of their index (no archive in memory): `perDay` studies a day from
 * 1990-01-01, `spacing` seconds apart, patients cycling over `patients`.
 */
import type { DimseChannel, DimseMessage } from '../../../src/protocol/dimse/channel.ts';
import { CommandDataSetType, CommandField, Status, TransferSyntax } from '../../../src/protocol/dimse/constants.ts';
import { decodeDataset, encodeDataset } from '../../../src/protocol/dimse/dataset.ts';
import { dayNumber, formatDay, formatSecond, parseDay, parseSecond } from '../../../src/probes/dicom/partition.ts';
import { SopClass } from '../../../src/protocol/dimse/constants.ts';
import type { ContextAnswer } from '../../../src/probes/dicom/proposal.ts';

export const FAKE_TS = TransferSyntax.ImplicitVRLittleEndian;

export const FAKE_ANSWERS: readonly ContextAnswer[] = [
  {
    id: 1,
    name: 'Study Root Q/R FIND',
    abstractSyntax: SopClass.StudyRootQueryRetrieveFind,
    service: 'find' as ContextAnswer['service'],
    result: 0,
    transferSyntax: FAKE_TS,
  },
];

export interface FakeShape {
  readonly studies: number;
  readonly perDay: number;
  readonly spacing: number;
  readonly patients: number;
  readonly cap: number;
  readonly instancesPerStudy: number;
}

const BASE_DAY = dayNumber(1990, 1, 1);

function template(): { bytes: Uint8Array; at: Record<'pid' | 'uid' | 'date' | 'time', number> } {
  const marks = { pid: 'PPPPPPPP', uid: '1.2.3.9.99999999', date: '19000101', time: '000000' };
  const bytes = new Uint8Array(
    encodeDataset(
      {
        QueryRetrieveLevel: 'STUDY',
        PatientID: marks.pid,
        StudyInstanceUID: marks.uid,
        StudyDate: marks.date,
        StudyTime: marks.time,
        NumberOfStudyRelatedInstances: '3',
      },
      FAKE_TS,
    ),
  );
  const at = {} as Record<'pid' | 'uid' | 'date' | 'time', number>;
  const text = Buffer.from(bytes).toString('latin1');
  for (const k of ['pid', 'uid', 'date', 'time'] as const) at[k] = text.indexOf(marks[k]);
  return { bytes, at };
}

/** Parses 'A', 'A-', '-B', 'A-B' or '' with `parse`; null bounds are open. */
function range(v: unknown, parse: (s: string) => number | null): { lo: number | null; hi: number | null } {
  const s = typeof v === 'string' ? v : '';
  if (s === '') return { lo: null, hi: null };
  const dash = s.indexOf('-');
  if (dash < 0) return { lo: parse(s), hi: parse(s) };
  return { lo: dash > 0 ? parse(s.slice(0, dash)) : null, hi: dash < s.length - 1 ? parse(s.slice(dash + 1)) : null };
}

export class FakeFindChannel {
  readonly shape: FakeShape;
  readonly association = {
    isOpen: true,
    abort: (): void => {
      this.association.isOpen = false;
    },
  };
  queries = 0;
  responses = 0;
  private readonly tpl = template();
  private messageId = 0;
  private next = 0;
  private end = 0;
  private left = 0;
  private finalStatus: number = Status.Success;
  private cancelled = false;
  private answering = 0;

  constructor(shape: FakeShape) {
    this.shape = shape;
    if (shape.instancesPerStudy !== 3) throw new Error('the template says 3 instances a study');
  }

  asChannel(): DimseChannel {
    return this as unknown as DimseChannel;
  }

  newMessageId(): number {
    return ++this.messageId;
  }

  send(_contextId: number, command: { commandField?: number; messageId?: number }, dataset?: Uint8Array): void {
    if (command.commandField === CommandField.CCancelRq) {
      this.cancelled = true;
      return;
    }
    const d = decodeDataset(dataset!, FAKE_TS);
    if (!d.ok) throw new Error(d.reason);
    this.queries += 1;
    this.answering = command.messageId!;
    const { perDay, spacing, studies } = this.shape;
    const days = range(d.dataset['StudyDate'], parseDay);
    let from = days.lo === null ? 0 : Math.max(0, (days.lo - BASE_DAY) * perDay);
    let to = days.hi === null ? studies : Math.min(studies, (days.hi - BASE_DAY + 1) * perDay);
    const secs = range(d.dataset['StudyTime'], parseSecond);
    if (secs.lo !== null || secs.hi !== null) {
      // Only asked under a single day.
      const start = from;
      if (secs.lo !== null) from = Math.max(from, start + Math.ceil(secs.lo / spacing));
      if (secs.hi !== null) to = Math.min(to, start + Math.floor(secs.hi / spacing) + 1);
    }
    this.next = from;
    this.end = Math.max(from, to);
    const n = this.end - this.next;
    this.left = Math.min(n, this.shape.cap);
    this.finalStatus = n > this.shape.cap ? Status.Cancel : Status.Success;
    this.cancelled = false;
  }

  async receive(): Promise<DimseMessage> {
    const rsp = (status: number, dataset: Uint8Array | null): DimseMessage => ({
      contextId: 1,
      command: {
        commandField: CommandField.CFindRsp,
        messageIdBeingRespondedTo: this.answering,
        status,
        commandDataSetType: dataset ? CommandDataSetType.Present : CommandDataSetType.Absent,
      },
      dataset,
    });
    if (this.left === 0 || this.cancelled) return rsp(this.cancelled ? Status.Cancel : this.finalStatus, null);
    const i = this.next++;
    this.left -= 1;
    this.responses += 1;
    const { bytes, at } = this.tpl;
    // A plain Uint8Array: decodeDataset misreads a Buffer that is a view into Node's shared pool.
    const b = new Uint8Array(bytes);
    const write = (text: string, offset: number): void => {
      for (let k = 0; k < text.length; k++) b[offset + k] = text.charCodeAt(k);
    };
    const day = BASE_DAY + Math.floor(i / this.shape.perDay);
    write(`P${String(i % this.shape.patients).padStart(7, '0')}`, at.pid);
    write(String(i).padStart(8, '0'), at.uid + 8);
    write(formatDay(day), at.date);
    write(formatSecond((i % this.shape.perDay) * this.shape.spacing), at.time);
    return rsp(Status.Pending, b);
  }
}
