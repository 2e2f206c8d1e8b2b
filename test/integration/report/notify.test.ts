/**
 * `pacsmap notify` against a local SMTP sink (smtp-server on loopback): after a real lab scan,
 * each facility with findings gets one message at its registry contact, with its findings and
 * remediation, and no lab canary; a registry name cannot inject a header or a recipient.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { notifyCommand } from '../../../src/cli/notify-command.ts';
import { LAB_CANARIES } from '../../../src/lab/archive.ts';
import { notifyFacilities } from '../../../src/notify/notify.ts';
import { openStore } from '../../../src/store/open.ts';
import { captureIo, subnetByte } from '../fleet/helpers.ts';
import { reportLab, type ReportLab } from './lab.ts';
import { endpointRecord } from '../../unit/store/helpers.ts';

interface Mail {
  from: string;
  to: string[];
  data: string;
}

/** The message with its body decoded (quoted-printable or base64), so a text search sees what a reader sees. */
function decoded(raw: string): string {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const body = rest.join('\r\n\r\n');
  const cte = /^Content-Transfer-Encoding:\s*(\S+)/im.exec(head)?.[1]?.toLowerCase();
  if (cte === 'base64') return `${head}\n${Buffer.from(body, 'base64').toString('utf8')}`;
  if (cte === 'quoted-printable')
    return `${head}\n${Buffer.from(
      body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8')}`;
  return raw;
}

let setup: ReportLab;
let scanId: string;
let sink: SMTPServer;
let port: number;
const mails: Mail[] = [];

before(async () => {
  sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let data = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (data += c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: decoded(data),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  port = (sink.server.address() as { port: number }).port;
  setup = await reportLab({ hosts: 8, seed: 'report-notify', subnetByte: subnetByte(73) });
  scanId = await setup.scan();
});
after(async () => {
  await setup?.stop();
  await new Promise<void>((resolve) => sink.close(() => resolve()));
});

test('notify mails each facility with findings its summary, at its registry contact, without canaries', async () => {
  mails.length = 0;
  const io = captureIo();
  const code = await notifyCommand(
    [scanId, '--db', setup.db, '--smtp', `smtp://127.0.0.1:${port}`, '--from', 'cert@ministry.example'],
    io,
  );
  assert.equal(code, 0, io.stderr.join(''));
  const store = await openStore(setup.db);
  const withFindings = new Set<string>();
  try {
    for await (const e of store.endpoints(scanId))
      for await (const _ of store.findings(scanId, { host: e.host, port: e.port })) withFindings.add(e.facilityId!);
  } finally {
    await store.close();
  }
  const facilities = setup.lab.groundTruth.facilities.filter((f) => withFindings.has(f.id));
  assert.ok(facilities.length > 0);
  assert.deepEqual(mails.map((m) => m.to.join(',')).sort(), facilities.map((f) => f.contactEmail).sort());
  for (const m of mails) {
    const f = facilities.find((x) => x.contactEmail === m.to[0])!;
    assert.equal(m.from, 'cert@ministry.example');
    assert.ok(m.data.includes(f.name), 'names the facility');
    assert.match(m.data, /Findings \(worst first\) and what to do/);
    for (const c of [...LAB_CANARIES, '2.25.31337']) assert.ok(!m.data.includes(c), `canary ${c} mailed`);
  }
  assert.match(io.stdout.join(''), /sent \d+ finding\(s\) of LAB-/);
});

test('a registry name with CR/LF cannot add a header or a recipient; a facility without contact is skipped', async () => {
  mails.length = 0;
  const db = path.join(setup.dir, 'evil.db');
  const store = await openStore(db);
  try {
    await store.upsertFacilities([
      {
        id: 'evil',
        name: 'Evil\r\nBcc: thief@evil.example\r\nX-Injected: 1',
        region: null,
        country: null,
        contactEmail: 'it@evil-hospital.example',
        ranges: ['10.0.0.0/24'],
        latitude: null,
        longitude: null,
      },
      {
        id: 'mute',
        name: 'Mute',
        region: null,
        country: null,
        contactEmail: null,
        ranges: ['10.0.1.0/24'],
        latitude: null,
        longitude: null,
      },
    ]);
    await store.createScan({ id: 'e', scope: 'x', settings: {} });
    await store.writeBatch({
      endpoints: [
        { ...endpointRecord('e', '10.0.0.1', 104), facilityId: 'evil' },
        { ...endpointRecord('e', '10.0.1.1', 104), facilityId: 'mute' },
      ],
      findings: ['10.0.0.1', '10.0.1.1'].map((host) => ({
        scanId: 'e',
        host,
        port: 104,
        findingId: 'dicom-query-unauthenticated',
        severity: 'high',
        evidence: {},
      })),
    });
    const r = await notifyFacilities(store, 'e', {
      smtpUrl: `smtp://127.0.0.1:${port}`,
      from: 'cert@ministry.example',
    });
    assert.deepEqual(
      r.sent.map((s) => s.to),
      ['it@evil-hospital.example'],
    );
    assert.deepEqual(r.skipped, [{ facilityId: 'mute', reason: 'no contact in the registry' }]);
  } finally {
    await store.close();
  }
  assert.equal(mails.length, 1);
  assert.deepEqual(mails[0]!.to, ['it@evil-hospital.example'], 'no injected recipient');
  const headers = mails[0]!.data.split(/\r\n\r\n/)[0]!;
  assert.doesNotMatch(headers, /^(Bcc|X-Injected):/im, 'no injected header');
  const failing = captureIo();
  assert.equal(
    await notifyCommand([scanId, '--db', setup.db, '--smtp', 'smtp://127.0.0.1:1', '--from', 'a@b.example'], failing),
    1,
    'an unreachable mail server is an error',
  );
});
