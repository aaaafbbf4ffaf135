/**
 * TLS configuration: Debian's testssl.sh against the server, JSON output
 * parsed. Nothing above LOW may be found except what the self-signed
 * development certificate causes (listed below with the reason), only TLS 1.2
 * and 1.3 may be offered, and every TLS 1.2 suite must have forward secrecy
 * (ECDHE) and authenticated encryption (GCM or ChaCha20-Poly1305): no static
 * RSA key exchange, no CBC.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { portOf, requireCommand, scaled, serverFor } from './support.js';

/**
 * The checks run: protocols, the server's preferences, every cipher per protocol, certificate and
 * defaults, LUCKY13 (CBC); at full scale also forward secrecy, cipher categories and every
 * vulnerability check of -U except Ticketbleed (an F5 BIG-IP bug).
 */
const CHECKS = scaled({
  ci: ['-p', '-P', '-E', '-S', '-L'],
  full: ['-p', '-P', '-E', '-S', '-f', '-s', '-H', '-I', '-BB', '-R', '-C', '-B', '-O', '-Z', '-W', '-A', '-L', '-F', '-J', '-D', '-4'],
});
const BUDGET_S = scaled({ ci: 100, full: 180 });

/**
 * Findings above LOW that come from the self-signed certificate make_cert.sh
 * produces for development and tests, not from the server's TLS settings.
 * A deployment gets a CA-issued certificate (see k8s/README.md).
 */
const DEV_CERTIFICATE_FINDINGS: ReadonlyMap<string, string> = new Map([
  ['cert_chain_of_trust', 'self-signed: no CA vouches for a development certificate'],
  ['cert_trust', 'trust of a self-signed certificate (the name itself matches: SAN localhost, 127.0.0.1)'],
  ['cert_revocation', 'a self-signed certificate has no CRL or OCSP responder'],
  ['cert_ocspURL', 'no OCSP responder for a self-signed certificate'],
  ['cert_crlDistributionPoints', 'no CRL for a self-signed certificate'],
  ['OCSP_stapling', 'nothing to staple without an OCSP responder'],
  ['cert_mustStapleExtension', 'no OCSP for a self-signed certificate'],
  ['certificate_transparency', 'self-signed certificates are not logged in CT'],
  ['cert_expirationStatus', 'lifetime of a development certificate (CERT_DAYS in make_cert.sh)'],
  ['cert_validityPeriod', 'lifetime of a development certificate (CERT_DAYS in make_cert.sh)'],
  ['DNS_CAArecord', 'localhost has no DNS CAA record'],
]);

/**
 * testssl's WARN is about the scan, not the server ("No engine or GOST support"
 * for the system openssl, "check failed because of connect problem" on a busy
 * machine): reported, not a finding. FATAL (the scan broke off) fails.
 */
const RANK: Readonly<Record<string, number>> = { DEBUG: 0, INFO: 0, OK: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4, FATAL: 4 };

interface Finding {
  readonly id: string;
  readonly severity: string;
  readonly finding: string;
}

function run(command: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), TERM: 'dumb', LANG: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** A TLS 1.2 suite with ECDHE key exchange and an AEAD cipher (OpenSSL names). */
const ECDHE_AEAD = /^ECDHE-(?:RSA|ECDSA)-(?:AES(?:128|256)-GCM-SHA(?:256|384)|CHACHA20-POLY1305)$|^ECDHE-(?:ARIA(?:128|256)-GCM-SHA(?:256|384))$/;

test(`testssl.sh (${CHECKS.join(' ')}): nothing above LOW except the dev certificate's findings, TLS 1.2+ only, ECDHE + AEAD suites only`, { timeout: (BUDGET_S + 30) * 1000 }, async (t) => {
  const testssl = requireCommand(t, ['testssl', 'testssl.sh'], 'apt-get install -y testssl.sh');
  if (!testssl) return;
  const server = await serverFor(t);
  const dir = mkdtempSync(join(tmpdir(), 'crm-testssl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const jsonFile = join(dir, 'testssl.json');

  const started = performance.now();
  const { code, output } = await run('timeout', [
    '--kill-after=5',
    String(BUDGET_S),
    testssl,
    '--jsonfile', jsonFile,
    '--quiet',
    '--warnings', 'batch',
    '--color', '0',
    '--nodns', 'none',
    '--ip', '127.0.0.1',
    '--connect-timeout', '10',
    '--openssl-timeout', '10',
    ...CHECKS,
    `localhost:${portOf(server)}`,
  ]);
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(`testssl exited ${String(code)} after ${seconds.toFixed(1)} s`);
  assert.notEqual(code, 124, `testssl did not finish within ${BUDGET_S} s`);

  let findings: Finding[];
  try {
    findings = JSON.parse(readFileSync(jsonFile, 'utf8')) as Finding[];
  } catch (error) {
    assert.fail(`testssl wrote no readable JSON (${(error as Error).message}); its output:\n${output.slice(-2000)}`);
  }
  const byId = new Map(findings.map((f) => [f.id, f]));
  assert.ok(byId.has('TLS1_2') || byId.has('TLS1_3'), `the scan did not get as far as the protocols:\n${output.slice(-2000)}`);
  for (const f of findings.filter((f) => f.severity === 'WARN')) t.diagnostic(`scanner warning (not a finding) ${f.id}: ${f.finding.slice(0, 200)}`);
  for (const f of findings.filter((f) => (RANK[f.severity] ?? 0) >= 1)) t.diagnostic(`${f.severity} ${f.id}: ${f.finding.slice(0, 200)}`);

  const problems: string[] = [];
  // TLS 1.2 suites: each one testssl found offered (-E), and the server's order (-P) when it has one.
  const tls12Offered = /^offered/i.test(byId.get('TLS1_2')?.finding ?? '');
  const suites = new Set<string>();
  for (const f of findings) {
    if (/^cipher-tls1_2_x/.test(f.id)) suites.add(f.finding.trim().split(/\s+/)[3] ?? '');
    if (/^(?:cipherorder|supportedciphers)_TLSv1_2$/.test(f.id)) for (const suite of f.finding.trim().split(/\s+/)) suites.add(suite);
  }
  suites.delete('');
  const weak = [...suites].filter((suite) => !ECDHE_AEAD.test(suite));
  if (tls12Offered) {
    t.diagnostic(`TLS 1.2 suites offered: ${[...suites].join(' ') || 'none listed'}`);
    if (suites.size === 0) problems.push('TLS 1.2 is offered but testssl listed no TLS 1.2 suites (-E, -P)');
    const staticRsa = weak.filter((suite) => !/^(?:EC)?DHE-/.test(suite));
    const cbc = weak.filter((suite) => !/GCM|CHACHA20|CCM/.test(suite));
    if (weak.length > 0) {
      problems.push(
        `TLS 1.2 offers ${weak.length} of ${suites.size} suites that are not ECDHE + AEAD: ` +
          `static RSA key exchange, no forward secrecy (${staticRsa.length}): ${staticRsa.join(' ') || '-'}; ` +
          `CBC (${cbc.length}): ${cbc.join(' ') || '-'}; other: ${weak.filter((s) => !staticRsa.includes(s) && !cbc.includes(s)).join(' ') || '-'}`,
      );
    }
  }
  for (const old of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) {
    const f = byId.get(old);
    if (f && !/not offered/i.test(f.finding)) problems.push(`${old} is offered (${f.finding}): TLS 1.2 is the minimum`);
  }

  for (const f of findings) {
    if ((RANK[f.severity] ?? 0) <= RANK.LOW!) continue;
    const allowed = f.severity === 'FATAL' ? undefined : DEV_CERTIFICATE_FINDINGS.get(f.id);
    if (allowed) t.diagnostic(`allowed ${f.severity} ${f.id}: ${allowed}`);
    else problems.push(`${f.severity} ${f.id}: ${f.finding}`);
  }
  for (const id of ['LUCKY13', 'cipherlist_AVERAGE', 'cipherlist_LOW', 'cipherlist_3DES_IDEA', 'cipherlist_OBSOLETED', 'SWEET32', 'ROBOT']) {
    const f = byId.get(id);
    if (f && f.severity !== 'OK' && f.severity !== 'INFO') problems.push(`${f.severity} ${id}: ${f.finding}`);
  }

  const unique = [...new Set(problems)];
  assert.deepEqual(unique, [], `testssl found weaknesses in the TLS setup:\n  ${unique.join('\n  ')}`);
});
