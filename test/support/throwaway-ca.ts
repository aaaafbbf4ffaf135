/**
 * Certificate authorities that exist for one test: a CA and the server
 * certificates it signs, made with the openssl command in a directory the
 * test removes. EC P-256 keys, valid for a day.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA named `name` (its files name.pem and name.key in dir). */
export async function makeCa(dir: string, name: string): Promise<CertificateFiles> {
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  await run('openssl', ['req', '-x509', ...EC_KEY, '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${name} (throwaway test CA)`]);
  return { certFile, keyFile };
}

/** A server certificate signed by `ca` for the given DNS names (subjectAltName), and its key. */
export async function issueServerCert(ca: CertificateFiles, dir: string, name: string, dnsNames: readonly string[]): Promise<CertificateFiles> {
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  const request = path.join(dir, `${name}.csr`);
  const extensions = path.join(dir, `${name}.ext`);
  fs.writeFileSync(
    extensions,
    [`subjectAltName=${dnsNames.map((dns) => `DNS:${dns}`).join(',')}`, 'basicConstraints=CA:FALSE', 'keyUsage=digitalSignature', 'extendedKeyUsage=serverAuth', ''].join('\n'),
  );
  await run('openssl', ['req', ...EC_KEY, '-keyout', keyFile, '-out', request, '-subj', `/CN=${dnsNames[0] ?? name}`]);
  await run('openssl', ['x509', '-req', '-in', request, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', certFile, '-days', '1', '-extfile', extensions]);
  return { certFile, keyFile };
}
