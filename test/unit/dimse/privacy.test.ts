/**
 * Canary tests: no patient value may reach a console, stdout or stderr, nor a
 * reason/error string, while identifiers are decoded or encoded — including
 * odd and malformed ones that make dcmjs want to log.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import dcmjs from '../../../src/protocol/dimse/dcmjs.ts';
import { decodeDataset, encodeDataset } from '../../../src/protocol/dimse/dataset.ts';
import { decodeCommand } from '../../../src/protocol/dimse/command.ts';
import { TransferSyntax } from '../../../src/protocol/dimse/constants.ts';
import { ITEM, UNDEFINED, captureOutput, cat, explicitEl, implicitEl, itemHeader, raw } from './helpers.ts';

const CANARY = 'QQCANARY7731';
const { ImplicitVRLittleEndian: IMPLICIT, ExplicitVRLittleEndian: EXPLICIT } = TransferSyntax;
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Data sets carrying the canary, well-formed and not. */
const inputs: Record<string, [Uint8Array, string]> = {
  plain: [
    cat(
      implicitEl(0x0008, 0x0005, 'ISO_IR 100'),
      implicitEl(0x0010, 0x0010, `${CANARY}^Jos\xe9`),
      implicitEl(0x0010, 0x0020, CANARY),
    ),
    IMPLICIT,
  ],
  canaryAsCharset: [cat(implicitEl(0x0008, 0x0005, CANARY), implicitEl(0x0010, 0x0010, CANARY)), IMPLICIT],
  canaryInMultiValuedCharset: [
    cat(implicitEl(0x0008, 0x0005, `\\ISO 2022 IR 87\\${CANARY}`), implicitEl(0x0010, 0x0010, CANARY)),
    IMPLICIT,
  ],
  canaryCharsetInsideItem: [
    (() => {
      const item = cat(implicitEl(0x0008, 0x0005, CANARY), implicitEl(0x0010, 0x0010, CANARY));
      return implicitEl(0x0010, 0x1002, cat(itemHeader(ITEM, item.length), item));
    })(),
    IMPLICIT,
  ],
  iso2022WithBadEscapes: [
    cat(
      implicitEl(0x0008, 0x0005, '\\ISO 2022 IR 87'),
      implicitEl(0x0010, 0x0010, raw(`\x1b$B${CANARY}\x1b%@${CANARY}\x1b`)),
    ),
    IMPLICIT,
  ],
  invalidVr: [cat(explicitEl(0x0010, 0x0010, 'PN', CANARY), explicitEl(0x0010, 0x0020, 'Q!', CANARY)), EXPLICIT],
  wrongFixedLength: [explicitEl(0x0010, 0x1010, 'AS', CANARY), EXPLICIT], // AS is 4 bytes: dcmjs logs an error
  nonNumericIS: [explicitEl(0x0020, 0x1208, 'IS', CANARY), EXPLICIT],
  unknownVrFromDictionary: [implicitEl(0x0028, 0x0106, raw(CANARY.slice(0, 2))), IMPLICIT], // dictionary VR 'xs'
  overrun: [cat(implicitEl(0x0010, 0x0020, CANARY), implicitEl(0x0010, 0x0010, CANARY, { length: 4000 })), IMPLICIT],
  undefinedLength: [
    cat(implicitEl(0x0010, 0x0020, CANARY), implicitEl(0x0010, 0x0010, CANARY, { length: UNDEFINED })),
    IMPLICIT,
  ],
  truncated: [implicitEl(0x0010, 0x0010, `${CANARY}${CANARY}`).subarray(0, 20), IMPLICIT],
};

function assertNoCanary(texts: readonly string[], what: string): void {
  for (const t of texts) assert.ok(!t.includes(CANARY), `${what} leaked the canary: ${t.length} chars`);
}

describe('privacy: nothing printed, nothing in reasons', () => {
  it('the capture sees console methods bound before it started (as loglevel binds them)', () => {
    const bound = console.warn.bind(console);
    const out = captureOutput(() => bound('probe'));
    assert.ok(out.some((t) => t.includes('probe')));
  });

  for (const [name, [bytes, ts]] of Object.entries(inputs)) {
    it(`decodeDataset: ${name}`, () => {
      let result: ReturnType<typeof decodeDataset> | undefined;
      const out = captureOutput(() => {
        result = decodeDataset(bytes, ts);
      });
      assert.deepEqual(out, [], 'no output at all');
      assert.ok(result !== undefined);
      if (!result.ok) assertNoCanary([result.reason], 'reason');
    });
  }

  it('decodeCommand on a command carrying the canary in free text, well-formed and not', () => {
    const comment = implicitEl(0x0000, 0x0902, CANARY);
    const field = implicitEl(0x0000, 0x0100, Uint8Array.of(0x20, 0x80));
    const out = captureOutput(() => {
      for (const bytes of [
        cat(field, comment),
        cat(comment),
        cat(field, comment.subarray(0, 12)),
        cat(field, implicitEl(0x0000, 0x0902, CANARY, { length: 999 })),
      ]) {
        const r = decodeCommand(bytes);
        if (!r.ok) assertNoCanary([r.reason], 'reason');
      }
    });
    assert.deepEqual(out, []);
  });

  it('encodeDataset errors name the keyword, never the value, and print nothing', () => {
    const bad: Record<string, unknown>[] = [
      { PatientID: CANARY.repeat(10) },
      { Modality: CANARY },
      { PatientName: `${CANARY}é` },
      { NoSuchKeyword: CANARY },
      { ReferencedStudySequence: [{ PatientName: CANARY }] },
    ];
    const messages: string[] = [];
    const out = captureOutput(() => {
      for (const d of bad) {
        try {
          encodeDataset(d, IMPLICIT);
          assert.fail('should have thrown');
        } catch (e) {
          messages.push(e instanceof Error ? `${e.message} ${String(e.cause ?? '')} ${e.stack ?? ''}` : String(e));
        }
      }
    });
    assert.deepEqual(out, []);
    assertNoCanary(messages, 'error');
  });

  it('dcmjs used directly (as fixtures do) through our handle prints nothing, even after a level change', () => {
    const { DicomMetaDictionary, DicomMessage, ReadBufferStream } = dcmjs.data;
    const leakyCalls = () => {
      // Each of these logs the value in an unsilenced dcmjs (see the control test below):
      // CS values over 16 characters are truncated with a warning that quotes them.
      DicomMetaDictionary.denaturalizeDataset({ Modality: CANARY.repeat(2), BogusKeyword: CANARY });
      const [bytes] = inputs['canaryAsCharset'] ?? [new Uint8Array(0)];
      DicomMessage._read(new ReadBufferStream(bytes.slice().buffer), IMPLICIT, { ignoreErrors: true });
    };
    assert.deepEqual(captureOutput(leakyCalls), []);
    // Someone re-enables logging somewhere in the process: still nothing.
    dcmjs.log.setLevel('trace', false);
    for (const child of Object.values(dcmjs.log.getLoggers())) child.setLevel('trace', false);
    dcmjs.log.getLogger('created-later').setLevel('trace', false);
    try {
      assert.deepEqual(captureOutput(leakyCalls), []);
      assert.deepEqual(
        captureOutput(() => dcmjs.log.getLogger('created-later').warn(CANARY)),
        [],
      );
    } finally {
      dcmjs.log.setLevel('silent', false);
    }
  });

  it('control: unsilenced dcmjs does print the canary for these same calls (so the tests above mean something)', () => {
    const script = `
      import dcmjs from 'dcmjs';
      const { DicomMetaDictionary, DicomMessage, ReadBufferStream } = dcmjs.data;
      DicomMetaDictionary.denaturalizeDataset({ Modality: ${JSON.stringify(CANARY.repeat(2))}, BogusKeyword: ${JSON.stringify(CANARY)} });
      const bytes = Buffer.from(${JSON.stringify(Buffer.from(inputs['canaryAsCharset']?.[0] ?? []).toString('hex'))}, 'hex');
      DicomMessage._read(new ReadBufferStream(new Uint8Array(bytes).buffer), ${JSON.stringify(IMPLICIT)}, { ignoreErrors: true });
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO,
      encoding: 'latin1',
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr.slice(0, 500).replaceAll(CANARY, '<canary>'));
    const printed = r.stdout + r.stderr;
    assert.ok(printed.includes(`Truncating value ${CANARY}`), 'dcmjs logs truncated values');
    assert.ok(
      printed.includes(`Unknown name in dataset BogusKeyword : ${CANARY}`),
      'dcmjs logs unknown keywords with their value',
    );
    assert.ok(
      printed.toLowerCase().includes(`unsupported character set: ${CANARY.toLowerCase()}`),
      'dcmjs logs the charset value',
    );
  });
});
