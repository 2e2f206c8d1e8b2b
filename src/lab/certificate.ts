/**
 * The lab's TLS certificate: one self-signed EC P-256 key pair made with the `openssl` CLI (Node
 * cannot make certificates) into the lab directory at `lab up`, reused while it stays valid.
 * LAB ONLY: it identifies nothing, protects nothing, and is shared by every simulated endpoint.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LabCertificate {
  readonly keyPem: string;
  readonly certPem: string;
  readonly fingerprint256: string;
  readonly subject: string;
  readonly validTo: string;
}

const SUBJECT = '/CN=pacsmap-lab/O=pacsmap lab fleet (simulated, not a real facility)';

async function load(keyFile: string, certFile: string): Promise<LabCertificate | null> {
  try {
    const [keyPem, certPem] = await Promise.all([readFile(keyFile, 'utf8'), readFile(certFile, 'utf8')]);
    const x = new X509Certificate(certPem);
    // Renew a week before it expires.
    if (Date.parse(x.validTo) - Date.now() < 7 * 86_400_000) return null;
    return {
      keyPem,
      certPem,
      fingerprint256: x.fingerprint256,
      subject: x.subject,
      validTo: new Date(x.validTo).toISOString(),
    };
  } catch {
    return null;
  }
}

/** Loads `<dir>/tls/lab.{key,cert}.pem`, or makes them with openssl. Throws with a clear message without openssl. */
export async function labCertificate(dir: string): Promise<LabCertificate> {
  const tlsDir = path.join(dir, 'tls');
  const keyFile = path.join(tlsDir, 'lab.key.pem');
  const certFile = path.join(tlsDir, 'lab.cert.pem');
  const existing = await load(keyFile, certFile);
  if (existing) return existing;
  await mkdir(tlsDir, { recursive: true, mode: 0o700 });
  try {
    await run(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-sha256',
        '-days',
        '365',
        '-subj',
        SUBJECT,
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { timeout: 30_000 },
    );
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? 'the lab needs the openssl command to make its TLS certificate (or use --no-tls)'
        : `openssl could not make the lab certificate (${code ?? 'failed'}); use --no-tls to run without TLS endpoints`,
    );
  }
  await chmod(keyFile, 0o600);
  const made = await load(keyFile, certFile);
  if (!made) throw new Error('openssl made a certificate the lab cannot read');
  return made;
}
