import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { decodeDataset, encodeDataset } from '../../../src/protocol/dimse/dataset.ts';
import type { DecodeDatasetResult } from '../../../src/protocol/dimse/dataset.ts';
import { TransferSyntax } from '../../../src/protocol/dimse/constants.ts';
import { ITEM, ITEM_END, SEQ_END, UNDEFINED, cat, explicitEl, implicitEl, itemHeader, raw, utf8 } from './helpers.ts';

const {
  ImplicitVRLittleEndian: IMPLICIT,
  ExplicitVRLittleEndian: EXPLICIT,
  ExplicitVRBigEndian: BIG,
  DeflatedExplicitVRLittleEndian: DEFLATED,
} = TransferSyntax;

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex'));
}

function ok(r: DecodeDatasetResult) {
  if (!r.ok) assert.fail(`expected ok, got: ${r.reason}`);
  return r;
}

const STUDY_QUERY = {
  QueryRetrieveLevel: 'STUDY',
  StudyInstanceUID: '',
  PatientName: '',
  PatientID: '',
  StudyDate: '20200101-',
  ModalitiesInStudy: ['CT', 'MR'],
  NumberOfStudyRelatedInstances: '',
  NumberOfStudyRelatedSeries: null,
};
/** What comes back: '' for every empty (universal matching) key, trailing padding gone. */
const STUDY_QUERY_DECODED = {
  QueryRetrieveLevel: 'STUDY',
  StudyInstanceUID: '',
  PatientName: '',
  PatientID: '',
  StudyDate: '20200101-',
  ModalitiesInStudy: ['CT', 'MR'],
  NumberOfStudyRelatedInstances: '',
  NumberOfStudyRelatedSeries: '',
};

describe('encodeDataset: golden bytes', () => {
  const query = { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', PatientName: '' };
  it('Implicit VR LE: tags sorted, empty keys zero-length, CS padded with a space', () => {
    assert.deepEqual(
      encodeDataset(query, IMPLICIT),
      hex(`
        08005200 06000000 535455445920   # (0008,0052) QueryRetrieveLevel, len 6: "STUDY "
        10001000 00000000                # (0010,0010) PatientName, len 0 (universal matching)
        20000d00 00000000                # (0020,000D) StudyInstanceUID, len 0
      `),
    );
  });
  it('Explicit VR LE', () => {
    assert.deepEqual(
      encodeDataset(query, EXPLICIT),
      hex(`
        08005200 4353 0600 535455445920  # (0008,0052) CS len 6 "STUDY "
        10001000 504e 0000               # (0010,0010) PN len 0
        20000d00 5549 0000               # (0020,000D) UI len 0
      `),
    );
  });
  it('Explicit VR BE', () => {
    assert.deepEqual(
      encodeDataset(query, BIG),
      hex(`
        00080052 4353 0006 535455445920
        00100010 504e 0000
        0020000d 5549 0000
      `),
    );
  });
  it('UIDs are padded with NUL', () => {
    const bytes = encodeDataset({ StudyInstanceUID: '1.2.3' }, IMPLICIT);
    assert.deepEqual(bytes, hex('20000d00 06000000 312e322e3300'));
  });
});

describe('encodeDataset → decodeDataset round trip of a C-FIND identifier', () => {
  for (const ts of [IMPLICIT, EXPLICIT, BIG, DEFLATED]) {
    it(ts, () => {
      const r = ok(decodeDataset(encodeDataset(STUDY_QUERY, ts), ts));
      assert.deepEqual(r.dataset, STUDY_QUERY_DECODED);
      assert.equal(r.specificCharacterSet, undefined);
      assert.equal(r.charsetFallback, false);
    });
  }
  it('from a pooled Node Buffer (as Buffer.concat of PDV fragments makes): only its own bytes are read', () => {
    const bytes = encodeDataset(STUDY_QUERY, IMPLICIT);
    // Small Buffers share Node's 8 KiB pool: .buffer is the whole pool, filled here with noise.
    Buffer.alloc(64, 0xff);
    const pooled = Buffer.concat([Buffer.from(bytes.subarray(0, 10)), Buffer.from(bytes.subarray(10))]);
    assert.ok(pooled.buffer.byteLength > pooled.byteLength, 'the test needs a pooled buffer');
    const r = ok(decodeDataset(pooled, IMPLICIT));
    assert.deepEqual(r.dataset, STUDY_QUERY_DECODED);
  });
  it('with values, numbers and UTF-8 text', () => {
    const id = {
      SpecificCharacterSet: 'ISO_IR 192',
      QueryRetrieveLevel: 'SERIES',
      PatientName: 'Müller^Jürgen=山田^太郎',
      SeriesNumber: 3,
      Modality: 'CT',
      StudyInstanceUID: '1.2.840.99.1',
    };
    for (const ts of [IMPLICIT, EXPLICIT]) {
      const r = ok(decodeDataset(encodeDataset(id, ts), ts));
      assert.deepEqual(r.dataset, id);
      assert.equal(r.specificCharacterSet, 'ISO_IR 192');
    }
  });
});

describe('encodeDataset refuses what it cannot encode faithfully (naming the keyword, never the value)', () => {
  const secret = 'CANARY-ZQX';
  const cases: Record<string, Record<string, unknown>> = {
    unknownKeyword: { NotADicomKeyword: secret },
    sequence: { ReferencedStudySequence: [{ ReferencedSOPInstanceUID: secret }] },
    objectValue: { PatientName: { Alphabetic: secret } },
    nonAsciiWithoutUtf8: { PatientName: `${secret}é` },
    tooLongForLO: { PatientID: secret.repeat(10) }, // dcmjs would truncate it silently
    tooLongForCS: { Modality: secret.repeat(2) },
    controlCharacter: { PatientID: `${secret}\n` },
  };
  for (const [name, dataset] of Object.entries(cases)) {
    it(name, () => {
      assert.throws(
        () => encodeDataset(dataset, IMPLICIT),
        (e: unknown) => e instanceof Error && !e.message.includes(secret),
      );
    });
  }
  it('unsupported transfer syntax', () => {
    assert.throws(() => encodeDataset({ PatientID: '' }, '1.2.840.10008.1.2.4.50'), /unsupported transfer syntax/);
  });
  it('skips undefined keys', () => {
    assert.deepEqual(
      encodeDataset({ PatientID: undefined, Modality: 'CT' }, IMPLICIT),
      encodeDataset({ Modality: 'CT' }, IMPLICIT),
    );
  });
});

describe('decodeDataset: Specific Character Set', () => {
  const name = (charset: Uint8Array | string, value: Uint8Array, ts: string = IMPLICIT) =>
    ts === IMPLICIT
      ? cat(implicitEl(0x0008, 0x0005, charset), implicitEl(0x0010, 0x0010, value))
      : cat(explicitEl(0x0008, 0x0005, 'CS', charset), explicitEl(0x0010, 0x0010, 'PN', value));

  for (const ts of [IMPLICIT, EXPLICIT]) {
    it(`ISO_IR 100 (Latin-1) — ${ts}`, () => {
      const r = ok(decodeDataset(name('ISO_IR 100', raw('Buc^J\xe9r\xf4me'), ts), ts));
      assert.deepEqual(r.dataset, { SpecificCharacterSet: 'ISO_IR 100', PatientName: 'Buc^Jérôme' });
      assert.equal(r.specificCharacterSet, 'ISO_IR 100');
      assert.equal(r.charsetFallback, false);
    });
    it(`ISO_IR 192 (UTF-8) — ${ts}`, () => {
      const r = ok(decodeDataset(name('ISO_IR 192', utf8('Wang^XiaoDong=王^小東'), ts), ts));
      assert.equal(r.dataset['PatientName'], 'Wang^XiaoDong=王^小東');
      assert.equal(r.charsetFallback, false);
    });
    it(`\\ISO 2022 IR 87 (PS3.5 H.3.1), kept as given — ${ts}`, () => {
      const bytes = raw('Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B');
      const r = ok(decodeDataset(name('\\ISO 2022 IR 87', bytes, ts), ts));
      assert.equal(r.dataset['PatientName'], 'Yamada^Tarou=山田^太郎=やまだ^たろう');
      assert.deepEqual(r.dataset['SpecificCharacterSet'], ['', 'ISO 2022 IR 87']);
      assert.equal(r.specificCharacterSet, '\\ISO 2022 IR 87');
      assert.equal(r.charsetFallback, false);
    });
    it(`ISO 2022 IR 149 (Korean) — ${ts}`, () => {
      const bytes = raw('Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf');
      const r = ok(decodeDataset(name('\\ISO 2022 IR 149', bytes, ts), ts));
      assert.equal(r.dataset['PatientName'], 'Hong^Gildong=洪^吉洞=홍^길동');
    });
    it(`unknown charset: Latin-1, flagged, original kept — ${ts}`, () => {
      const r = ok(decodeDataset(name('X-KLINGON', raw('Buc^J\xe9r\xf4me'), ts), ts));
      assert.deepEqual(r.dataset, { SpecificCharacterSet: 'X-KLINGON', PatientName: 'Buc^Jérôme' });
      assert.equal(r.specificCharacterSet, 'X-KLINGON');
      assert.equal(r.charsetFallback, true);
    });
  }
  it('multi-valued ISO 2022 with value 1 set (ISO 2022 IR 100\\ISO 2022 IR 87)', () => {
    const r = ok(
      decodeDataset(name('ISO 2022 IR 100\\ISO 2022 IR 87', raw('J\xe9r\xf4me=\x1b$B;3ED\x1b(B')), IMPLICIT),
    );
    assert.equal(r.dataset['PatientName'], 'Jérôme=山田');
    assert.equal(r.charsetFallback, false);
  });
  it('applies the data set charset to text inside sequence items (dcmjs does not)', () => {
    for (const itemLength of ['defined', 'undefined'] as const) {
      const item = cat(
        implicitEl(0x0010, 0x0010, utf8('Jérôme^Müller')),
        implicitEl(0x0010, 0x0020, utf8('ID-é\\ID-ü')),
      );
      const seq =
        itemLength === 'defined'
          ? implicitEl(0x0010, 0x1002, cat(itemHeader(ITEM, item.length), item))
          : cat(
              implicitEl(0x0010, 0x1002, new Uint8Array(0), { length: UNDEFINED }),
              itemHeader(ITEM, UNDEFINED),
              item,
              itemHeader(ITEM_END, 0),
              itemHeader(SEQ_END, 0),
            );
      const r = ok(decodeDataset(cat(implicitEl(0x0008, 0x0005, 'ISO_IR 192'), seq), IMPLICIT));
      assert.deepEqual(
        r.dataset['OtherPatientIDsSequence'],
        [{ PatientName: 'Jérôme^Müller', PatientID: ['ID-é', 'ID-ü'] }],
        itemLength,
      );
      assert.equal(r.charsetFallback, false);
    }
  });
});

describe('decodeDataset: values', () => {
  it('keys unknown tags by hex, numbers as numbers, binary as bytes, empty sequences as []', () => {
    const bytes = cat(
      explicitEl(0x0009, 0x0010, 'LO', 'ACME'),
      explicitEl(0x0009, 0x1001, 'OB', Uint8Array.of(1, 2, 3, 4)),
      explicitEl(0x0020, 0x1206, 'IS', '12'),
      explicitEl(0x0028, 0x0010, 'US', Uint8Array.of(0, 2)),
      explicitEl(0x0008, 0x1110, 'SQ', new Uint8Array(0)),
    );
    const r = ok(decodeDataset(bytes, EXPLICIT));
    assert.deepEqual(r.dataset, {
      '00090010': 'ACME',
      '00091001': Uint8Array.of(1, 2, 3, 4),
      NumberOfStudyRelatedSeries: 12,
      Rows: 512,
      ReferencedStudySequence: [],
    });
  });
  it('an empty data set decodes to {}', () => {
    assert.deepEqual(ok(decodeDataset(new Uint8Array(0), IMPLICIT)).dataset, {});
  });
});

describe('decodeDataset: hostile input is ok:false, never a throw', () => {
  const valid = encodeDataset({ ...STUDY_QUERY, PatientID: 'P1', SpecificCharacterSet: 'ISO_IR 100' }, IMPLICIT);
  it('every cut that splits an element is rejected; cuts between elements decode', () => {
    const boundaries = new Set<number>();
    const view = new DataView(valid.buffer);
    for (let off = 0; off < valid.length; off += 8 + view.getUint32(off + 4, true)) boundaries.add(off);
    for (let n = 0; n < valid.length; n++) {
      assert.equal(decodeDataset(valid.subarray(0, n), IMPLICIT).ok, boundaries.has(n), `cut at ${n}`);
    }
  });
  const cases: Record<string, [Uint8Array, string]> = {
    overrun: [implicitEl(0x0010, 0x0010, 'Doe^John', { length: 1000 }), IMPLICIT],
    hugeLength: [implicitEl(0x0010, 0x0010, 'Doe^John', { length: 0xfffffff0 }), IMPLICIT],
    explicitOverrun: [explicitEl(0x0010, 0x0010, 'PN', 'Doe^John', { length: 300 }), EXPLICIT],
    invalidVr: [cat(explicitEl(0x0010, 0x0010, 'PN', 'A^B'), explicitEl(0x0010, 0x0020, 'ZZ', 'X1')), EXPLICIT],
    usLength3: [
      cat(
        explicitEl(0x0028, 0x0010, 'US', Uint8Array.of(1, 2, 3, 0), { length: 3 }).subarray(0, 11),
        explicitEl(0x0028, 0x0011, 'US', Uint8Array.of(0, 2)),
      ),
      EXPLICIT,
    ],
    implicitUsLength1: [cat(implicitEl(0x0028, 0x0010, Uint8Array.of(1, 0, 0, 0), { length: 1 })), IMPLICIT],
    undefinedLengthString: [implicitEl(0x0010, 0x0010, new Uint8Array(0), { length: UNDEFINED }), IMPLICIT],
    unterminatedSequence: [
      cat(implicitEl(0x0008, 0x1110, new Uint8Array(0), { length: UNDEFINED }), itemHeader(ITEM, 0)),
      IMPLICIT,
    ],
    itemWithoutDelimiter: [
      cat(
        implicitEl(0x0008, 0x1110, new Uint8Array(0), { length: UNDEFINED }),
        itemHeader(ITEM, UNDEFINED),
        implicitEl(0x0008, 0x1155, '1.2'),
      ),
      IMPLICIT,
    ],
    nonItemInSequence: [implicitEl(0x0008, 0x1110, implicitEl(0x0008, 0x1155, '1.2')), IMPLICIT],
    itemOverrunsSequence: [
      implicitEl(0x0008, 0x1110, cat(itemHeader(ITEM, 100), implicitEl(0x0008, 0x1155, '1.2'))),
      IMPLICIT,
    ],
    strayItemTag: [itemHeader(ITEM, 0), IMPLICIT],
    strayDelimiterInDefinedSequence: [
      implicitEl(0x0008, 0x1110, cat(itemHeader(SEQ_END, 0), itemHeader(ITEM, 0))),
      IMPLICIT,
    ],
    truncatedHeader: [Uint8Array.of(0x10, 0x00, 0x10), IMPLICIT],
  };
  for (const [name, [bytes, ts]] of Object.entries(cases)) {
    it(name, () => {
      const r = decodeDataset(bytes, ts);
      assert.equal(r.ok, false);
      if (!r.ok) assert.doesNotMatch(r.reason, /Doe|John|A\^B|X1/);
    });
  }
  it('nesting deeper than the limit', () => {
    let inner = implicitEl(0x0008, 0x1155, '1.2');
    for (let i = 0; i < 20; i++) inner = implicitEl(0x0008, 0x1110, cat(itemHeader(ITEM, inner.length), inner));
    const r = decodeDataset(inner, IMPLICIT);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /nested/);
  });
  it('size limit, and a deflate bomb stops at the limit', () => {
    const big = implicitEl(0x0010, 0x4000, 'x'.repeat(2000));
    assert.equal(decodeDataset(big, IMPLICIT, { maxLength: 1000 }).ok, false);
    const bomb = Uint8Array.from(deflateRawSync(implicitEl(0x0009, 0x1001, new Uint8Array(64 * 1024 * 1024))));
    assert.ok(bomb.length < 200_000);
    const r = decodeDataset(bomb, DEFLATED);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /inflates to more than/);
    assert.equal(decodeDataset(raw('not deflate at all'), DEFLATED).ok, false);
  });
  it('unsupported transfer syntax, non-bytes input', () => {
    assert.equal(decodeDataset(valid, '1.2.840.10008.1.2.4.50').ok, false);
    assert.equal(decodeDataset('abc' as unknown as Uint8Array, IMPLICIT).ok, false);
    assert.equal(decodeDataset(valid, undefined as unknown as string).ok, false);
  });
  it('random bytes never throw (all four syntaxes)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(IMPLICIT, EXPLICIT, BIG, DEFLATED),
        (bytes, ts) => {
          const r = decodeDataset(bytes, ts);
          assert.equal(typeof r.ok, 'boolean');
        },
      ),
      { numRuns: 3000 },
    );
  });
  it('mutated valid identifiers never throw', () => {
    const seqItem = implicitEl(0x0008, 0x1155, '1.2.3.4');
    const bases: [Uint8Array, string][] = [
      [valid, IMPLICIT],
      [encodeDataset(STUDY_QUERY, EXPLICIT), EXPLICIT],
      [encodeDataset(STUDY_QUERY, BIG), BIG],
      [cat(valid, implicitEl(0x0008, 0x1110, cat(itemHeader(ITEM, seqItem.length), seqItem))), IMPLICIT],
      [
        cat(
          implicitEl(0x0008, 0x1110, new Uint8Array(0), { length: UNDEFINED }),
          itemHeader(ITEM, UNDEFINED),
          seqItem,
          itemHeader(ITEM_END, 0),
          itemHeader(SEQ_END, 0),
        ),
        IMPLICIT,
      ],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...bases),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x00, 0xff, 0xfe, 0xe0, 0x0d, 0xdd, 0x1b, 0x53, 0x51)), {
          maxLength: 6,
        }),
        fc.nat(),
        ([base, ts], flips, cut) => {
          const bytes = base.slice();
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          const r = decodeDataset(bytes.subarray(0, cut % (bytes.length + 1)), ts);
          assert.equal(typeof r.ok, 'boolean');
        },
      ),
      { numRuns: 3000 },
    );
  });
});
