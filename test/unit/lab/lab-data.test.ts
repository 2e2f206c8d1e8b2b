/** The lab's data files: the bundled ones load; a malformed entry is refused with its id named. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LabDataError, parseArchetypes, parseProducts, type AeSpec } from '../../../src/lab/lab-data.ts';
import { ARCHETYPES, aePolicy, archetypeDeck, findBehaviour } from '../../../src/lab/profiles.ts';
import { PRODUCTS, product } from '../../../src/lab/products.ts';
import { Rng } from '../../../src/lab/random.ts';
import { Status, TransferSyntax } from '../../../src/protocol/dimse/constants.ts';

type Json = Record<string, unknown>;
const raw = (file: string): Json =>
  JSON.parse(readFileSync(new URL(`../../../src/lab/${file}`, import.meta.url), 'utf8')) as Json;

/** archetypes.json with entry `id` changed by `edit`. */
function archetypesWith(id: string, edit: (e: Json) => void): Json {
  const doc = raw('archetypes.json');
  const e = (doc.archetypes as Json[]).find((x) => x.id === id);
  assert.ok(e, id);
  edit(e);
  return doc;
}

function productsWith(id: string, edit: (e: Json) => void): Json {
  const doc = raw('products.json');
  const e = (doc.products as Json[]).find((x) => x.id === id);
  assert.ok(e, id);
  edit(e);
  return doc;
}

/** Refused with a LabDataError naming the file, the entry's id and the problem. */
function refusedArchetype(id: string, edit: (e: Json) => void, problem: RegExp, named = id): void {
  const doc = archetypesWith(id, edit);
  assert.throws(
    () => parseArchetypes(doc, PRODUCTS),
    (e: unknown) => {
      assert.ok(e instanceof LabDataError, String(e));
      assert.match(e.message, new RegExp(`^archetypes\\.json: archetypes\\[\\d+\\] \\("${named}"\\): `));
      assert.match(e.message, problem);
      return true;
    },
  );
}

function refusedProduct(id: string, edit: (e: Json) => void, problem: RegExp, named = id): void {
  assert.throws(
    () => parseProducts(productsWith(id, edit)),
    (e: unknown) => {
      assert.ok(e instanceof LabDataError, String(e));
      assert.match(e.message, new RegExp(`^products\\.json: products\\[\\d+\\] \\("${named}"\\): `));
      assert.match(e.message, problem);
      return true;
    },
  );
}

test('the bundled files load: 12 products, 15 archetypes, a deck of 19', () => {
  assert.equal(PRODUCTS.length, 12);
  assert.equal(ARCHETYPES.length, 15);
  assert.equal(archetypeDeck().length, 19);
  assert.deepEqual(parseArchetypes(raw('archetypes.json'), PRODUCTS), ARCHETYPES);
  assert.deepEqual(product('conquest-150').transferSyntaxes, [
    TransferSyntax.ImplicitVRLittleEndian,
    TransferSyntax.ExplicitVRLittleEndian,
  ]);
  assert.equal(ARCHETYPES.find((a) => a.id === 'find-refused')?.find?.refuseStatus, Status.UnableToProcess);
  // Every product entry says where its values come from; behaviours carry the product without it.
  assert.ok(parseProducts(raw('products.json')).every((p) => p.source.length > 0));
  assert.ok(PRODUCTS.every((p) => !('source' in p)));
});

test('an archetype with an unknown AE kind is refused, named', () => {
  refusedArchetype(
    'orthanc-open',
    (e) => (e.ae = { kind: 'open' }),
    /ae\.kind must be one of any, called, calling-list/,
  );
  refusedArchetype('orthanc-open', (e) => (e.ae = 'any'), /ae\.kind/);
  refusedArchetype('orthanc-checked-aet', (e) => (e.ae = { kind: 'called', titel: 'X' }), /unknown key "titel"/);
  refusedArchetype(
    'clearcanvas-devices',
    (e) => (e.ae = { kind: 'calling-list', list: ['CT01'] }),
    /ae\.checkCalled must be a boolean/,
  );
  refusedArchetype('dcmtk-dcmqrscp', (e) => (e.ae = { kind: 'called', title: 'WAY-TOO-LONG-AE-TITLE' }), /1-16/);
});

test('an archetype with weight ≤ 0 (or not whole) is refused, named', () => {
  refusedArchetype('horos-open', (e) => (e.weight = 0), /weight must be a number in \[1,/);
  refusedArchetype('horos-open', (e) => (e.weight = -2), /weight/);
  refusedArchetype('horos-open', (e) => (e.weight = 1.5), /weight must be a whole number/);
});

test('an archetype with a bad port is refused, named', () => {
  refusedArchetype('dcm4chee-arc', (e) => (e.ports = [11112, 0]), /ports\[1\] must be a number in \[1, 65535\]/);
  refusedArchetype('dcm4chee-arc', (e) => (e.ports = [70000]), /ports\[0\]/);
  refusedArchetype('dcm4chee-arc', (e) => (e.ports = ['104']), /ports\[0\]/);
  refusedArchetype('dcm4chee-arc', (e) => (e.ports = [104, 104]), /duplicate/);
  refusedArchetype('dcm4chee-arc', (e) => (e.ports = []), /ports must not be empty/);
});

test('an archetype without a description is refused, named', () => {
  refusedArchetype('pynetdicom-echo', (e) => delete e.description, /description must be a non-empty string/);
  refusedArchetype('pynetdicom-echo', (e) => (e.description = ''), /description/);
});

test('an archetype naming an unknown product id is refused, named', () => {
  refusedArchetype(
    'conquest-open',
    (e) => (e.products = ['conquest-150', 'conquest-9']),
    /unknown product id "conquest-9"/,
  );
});

test('an archetype whose refuseStatus is not a failure status is refused, named', () => {
  const find = (refuseStatus: unknown) => (e: Json) => {
    e.find = { ...(e.find as Json), refuseStatus };
  };
  refusedArchetype('find-refused', find('0xFE00'), /0xFE00 is not a failure status/); // Cancel
  refusedArchetype('find-refused', find('0x0000'), /not a failure status/); // Success
  refusedArchetype('find-refused', find('0xFF00'), /not a failure status/); // Pending
  refusedArchetype('find-refused', find('0xC001'), /not a failure status/); // unknown to Status
  refusedArchetype('find-refused', find(0xc000), /written 0xNNNN/);
  refusedArchetype('find-refused', find('C000'), /written 0xNNNN/);
  // The failure statuses a lab might want are accepted.
  for (const s of ['0xA700', '0xa900', '0xC000', '0x0124'])
    assert.doesNotThrow(() => parseArchetypes(archetypesWith('find-refused', find(s)), PRODUCTS), s);
});

test('other malformed archetypes are refused, named: limit, counts, studies, keywords, duplicates, typos', () => {
  const limit = (l: unknown) => (e: Json) => {
    e.find = { ...(e.find as Json), limit: l };
  };
  refusedArchetype('orthanc-open', limit({ chance: 1.5, choices: [25] }), /find\.limit\.chance/);
  refusedArchetype('orthanc-open', limit({ chance: 0.5, choices: [] }), /find\.limit\.choices must not be empty/);
  refusedArchetype('orthanc-open', limit({ chance: 0.5, choices: [0] }), /find\.limit\.choices\[0\]/);
  refusedArchetype('orthanc-open', (e) => (e.counts = 'often'), /counts must be one of always, never, sometimes/);
  refusedArchetype('orthanc-open', (e) => (e.studies = [300, 10]), /studies\[1\]/);
  refusedArchetype('orthanc-open', (e) => delete e.find, /find is required/);
  refusedArchetype(
    'orthanc-open',
    (e) => (e.find = { ...(e.find as Json), studyRoot: false, patientRoot: false }),
    /studyRoot or patientRoot/,
  );
  refusedArchetype('conquest-open', (e) => (e.omitKeywords = ['InstitutionNmae']), /not a PHI keyword/);
  refusedArchetype('horos-open', (e) => (e.stor = true), /unknown key "stor"/);
  refusedArchetype('horos-open', (e) => (e.id = 'orthanc-open'), /duplicate id "orthanc-open"/, 'orthanc-open');
  assert.throws(() => parseArchetypes({ ...raw('archetypes.json'), version: 2 }, PRODUCTS), /version must be 1/);
});

test('a malformed product is refused, named; its fingerprint example must exist', () => {
  refusedProduct('orthanc', (e) => (e.fingerprintId = 'orthanx'), /fingerprintId "orthanx" is not in/);
  refusedProduct('orthanc', (e) => (e.example = 99), /has no example 99/);
  refusedProduct('orthanc', (e) => (e.transferSyntaxes = ['JPEGBaseline']), /"JPEGBaseline" is not one of/);
  refusedProduct('orthanc', (e) => (e.defaultAe = 'BAD\\AE'), /defaultAe must not contain a backslash/);
  refusedProduct('orthanc', (e) => (e.maxPduLength = -1), /maxPduLength/);
  refusedProduct('orthanc', (e) => delete e.simulates, /simulates must be a non-empty string/);
  refusedProduct('orthanc', (e) => (e.source = []), /source must not be empty/);
  refusedProduct('orthanc', (e) => (e.source = [{ kind: 'hearsay', ref: 'x' }]), /source\[0\]\.kind/);
  refusedProduct('horos', (e) => (e.id = 'orthanc'), /duplicate id "orthanc"/, 'orthanc');
});

test('AE specs become the policies the code builders made', () => {
  const p = product('dcm4chee2');
  const cases: [AeSpec, ReturnType<typeof aePolicy>][] = [
    [{ kind: 'any' }, { aeTitle: 'DCM4CHEE', checkCalled: false, callingAllowList: null }],
    [{ kind: 'called' }, { aeTitle: 'DCM4CHEE', checkCalled: true, callingAllowList: null }],
    [
      { kind: 'called', title: 'ANY-SCP' },
      { aeTitle: 'ANY-SCP', checkCalled: true, callingAllowList: null },
    ],
    [
      { kind: 'calling-list', list: ['CT01'], checkCalled: true },
      { aeTitle: 'DCM4CHEE', checkCalled: true, callingAllowList: ['CT01'] },
    ],
  ];
  for (const [spec, policy] of cases) assert.deepEqual(aePolicy(spec, p), policy, JSON.stringify(spec));
});

test('a find spec draws from the random source only when it declares a limit', () => {
  const base = { studyRoot: true, patientRoot: true, hierarchical: false, refuseStatus: null };
  const a = new Rng('draws');
  const b = new Rng('draws');
  assert.equal(findBehaviour({ ...base, limit: null }, a).limit, null);
  assert.equal(a.next32(), b.next32(), 'no limit: nothing drawn');
  // chance 1: one draw for the chance, one for the choice.
  const c = new Rng('draws');
  const d = new Rng('draws');
  assert.equal(findBehaviour({ ...base, limit: { chance: 1, choices: [7] } }, c).limit, 7);
  d.next32();
  d.next32();
  assert.equal(c.next32(), d.next32(), 'limit: chance then choice');
});
