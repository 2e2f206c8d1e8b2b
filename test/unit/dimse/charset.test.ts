import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { charsetDecoder, splitCharsetTerms } from '../../../src/protocol/dimse/charset.ts';
import { raw, utf8 } from './helpers.ts';

const decode = (charset: string, bytes: Uint8Array) => {
  const d = charsetDecoder(splitCharsetTerms(charset));
  return { text: d.decode(bytes), fallback: d.fallback };
};

// Example values from PS3.5 Annexes H, I, K (bytes as printed there).
const H_3_1 = raw('Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B');
const H_3_2 = raw(
  '\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J=\x1b$B$d$^$@\x1b(J^\x1b$B$?$m$&\x1b(J',
);
const I_2 = raw('Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf');
const K_2 = raw('Zhang^XiaoDong=\x1b$)A\xd5\xc5^\x1b$)A\xd0\xa1\xb6\xab=');

describe('charsetDecoder', () => {
  it('PS3.5 H.3.1: \\ISO 2022 IR 87 (JIS X 0208 by escape sequences)', () => {
    assert.deepEqual(decode('\\ISO 2022 IR 87', H_3_1), {
      text: 'Yamada^Tarou=山田^太郎=やまだ^たろう',
      fallback: false,
    });
    // Also when the (non-conformant but common) lone term is used.
    assert.deepEqual(decode('ISO 2022 IR 87', H_3_1), {
      text: 'Yamada^Tarou=山田^太郎=やまだ^たろう',
      fallback: false,
    });
  });
  it('PS3.5 H.3.2: ISO 2022 IR 13\\ISO 2022 IR 87 (half-width katakana in G1, romaji in G0)', () => {
    assert.deepEqual(decode('ISO 2022 IR 13\\ISO 2022 IR 87', H_3_2), {
      text: 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう',
      fallback: false,
    });
  });
  it('PS3.5 I.2: \\ISO 2022 IR 149 (Korean, G1 re-designated after each delimiter)', () => {
    assert.deepEqual(decode('\\ISO 2022 IR 149', I_2), { text: 'Hong^Gildong=洪^吉洞=홍^길동', fallback: false });
  });
  it('PS3.5 K.2: \\ISO 2022 IR 58 (GB 2312)', () => {
    assert.deepEqual(decode('\\ISO 2022 IR 58', K_2), { text: 'Zhang^XiaoDong=张^小东=', fallback: false });
  });
  it('JIS X 0212 (ISO 2022 IR 159) via EUC-JP', () => {
    // 0x2237 in JIS X 0212 is U+007E TILDE; 0x3021 is 丂 (U+4E02).
    assert.deepEqual(decode('\\ISO 2022 IR 87\\ISO 2022 IR 159', raw('A\x1b$(D0!\x1b(B')), {
      text: 'A丂',
      fallback: false,
    });
  });
  it('single-byte sets without extensions', () => {
    assert.equal(decode('ISO_IR 100', raw('Buc^J\xe9r\xf4me')).text, 'Buc^Jérôme');
    // ISO 8859-1 exactly: 0x80 is a C1 control, not windows-1252's euro sign.
    assert.equal(decode('ISO_IR 100', raw('\x80')).text, '\u0080');
    assert.equal(decode('ISO_IR 144', raw('\xb0\xd0\xef')).text, 'Аая'); // ISO 8859-5: 0xB0 А, 0xD0 а, 0xEF я
    assert.equal(decode('ISO_IR 126', raw('\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2')).text, 'Διονυσιος');
    assert.equal(decode('ISO_IR 13', raw('\xd4\xcf\xc0\xde')).text, 'ﾔﾏﾀﾞ');
  });
  it('UTF-8, GB18030, default repertoire', () => {
    assert.equal(decode('ISO_IR 192', utf8('Wang^XiaoDong=王^小東')).text, 'Wang^XiaoDong=王^小東');
    assert.equal(decode('GB18030', raw('Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab')).text, 'Wang^XiaoDong=王^小东');
    assert.deepEqual(decode('', raw('Smith^John')), { text: 'Smith^John', fallback: false });
  });
  it('tolerates spelling variants of terms', () => {
    assert.equal(decode('ISO IR 100', raw('\xe9')).text, 'é');
    assert.equal(decode('iso_ir 192', utf8('é')).text, 'é');
    assert.equal(decode('ISO_IR 100 ', raw('\xe9')).text, 'é');
  });
  it('unknown terms: Latin-1 and fallback flag, never a throw', () => {
    for (const cs of [
      'KOI8-R',
      'ISO_IR 999',
      'ISO 2022 IR 999',
      '\\ISO 2022 IR 87\\BOGUS',
      'ISO_IR 192\\ISO 2022 IR 87',
    ]) {
      const r = decode(cs, raw('Buc^J\xe9r\xf4me'));
      assert.deepEqual(r, { text: 'Buc^Jérôme', fallback: true }, cs);
    }
  });
  it('unknown escape sequence: dropped, flagged, rest decoded', () => {
    assert.deepEqual(decode('\\ISO 2022 IR 87', raw('AB\x1b%GCD')), { text: 'AB%GCD', fallback: true });
    assert.deepEqual(decode('\\ISO 2022 IR 87', raw('AB\x1b')), { text: 'AB', fallback: true });
  });
  it('splitCharsetTerms keeps an empty value 1', () => {
    assert.deepEqual(splitCharsetTerms('\\ISO 2022 IR 87 '), ['', 'ISO 2022 IR 87']);
    assert.deepEqual(splitCharsetTerms('ISO_IR 100\0'), ['ISO_IR 100']);
    assert.deepEqual(splitCharsetTerms('  '), []);
  });
  it('never throws, whatever the terms and bytes', () => {
    const term = fc.constantFrom(
      '',
      'ISO_IR 100',
      'ISO_IR 192',
      'GB18030',
      'ISO 2022 IR 87',
      'ISO 2022 IR 149',
      'ISO 2022 IR 159',
      'ISO 2022 IR 13',
      'ISO 2022 IR 58',
      'BOGUS',
    );
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constant(0x1b), fc.constantFrom(0x24, 0x28, 0x29, 0x2d));
    fc.assert(
      fc.property(fc.array(term, { maxLength: 3 }), fc.array(byte, { maxLength: 64 }), (terms, bytes) => {
        const d = charsetDecoder(terms);
        assert.equal(typeof d.decode(Uint8Array.from(bytes)), 'string');
        assert.equal(typeof d.decode(new DataView(Uint8Array.from(bytes).buffer)), 'string');
      }),
      { numRuns: 2000 },
    );
  });
});
