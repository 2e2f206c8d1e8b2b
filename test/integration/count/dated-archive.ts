/**
 * Rewrites the StudyDate/StudyTime (and the Series/Content copies) of a synthetic archive's files
 * in place, byte for byte, so a test chooses how studies spread over dates. A date of null removes
 * StudyDate (a study no date range can match).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { SyntheticArchive } from '../../fixtures/studies/synthetic.ts';

export interface StudyWhen {
  readonly date: string | null;
  readonly time: string;
}

// (0008,0020..0023) dates, (0008,0030..0033) times; explicit VR LE header or implicit VR LE header.
const DATE_TAGS = [0x20, 0x21, 0x23];
const TIME_TAGS = [0x30, 0x31, 0x33];

function header(element: number, vr: 'DA' | 'TM', explicit: boolean, length: number): Buffer {
  return explicit
    ? Buffer.from([0x08, 0x00, element, 0x00, vr.charCodeAt(0), vr.charCodeAt(1), length, 0x00])
    : Buffer.from([0x08, 0x00, element, 0x00, length, 0x00, 0x00, 0x00]);
}

function patch(buf: Buffer, element: number, vr: 'DA' | 'TM', value: string | null): Buffer {
  const len = vr === 'DA' ? 8 : 6;
  for (const explicit of [true, false]) {
    const h = header(element, vr, explicit, len);
    const at = buf.indexOf(h, 132);
    if (at < 0) continue;
    if (value === null) {
      // Zero-length value: same element, nothing after the header.
      const out = Buffer.concat([buf.subarray(0, at), header(element, vr, explicit, 0), buf.subarray(at + 8 + len)]);
      return out;
    }
    if (value.length !== len) throw new Error(`bad ${vr} ${value}`);
    buf.write(value, at + 8, 'latin1');
    return buf;
  }
  throw new Error(`element (0008,00${element.toString(16)}) not found`);
}

/** `when(i)` for the i-th study, in the archive's patient/study order. */
export async function redate(archive: SyntheticArchive, when: (i: number) => StudyWhen): Promise<StudyWhen[]> {
  const all: StudyWhen[] = [];
  let i = 0;
  for (const p of archive.patients) {
    for (const st of p.studies) {
      const w = when(i++);
      all.push(w);
      for (const se of st.series) {
        for (const inst of se.instances) {
          let buf: Buffer = await readFile(inst.file);
          for (const t of DATE_TAGS) buf = patch(buf, t, 'DA', w.date);
          for (const t of TIME_TAGS) buf = patch(buf, t, 'TM', w.time);
          await writeFile(inst.file, buf);
        }
      }
    }
  }
  return all;
}
