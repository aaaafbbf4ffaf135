import type { SecureContextOptions, TlsOptions } from 'node:tls';

/**
 * Mozilla's "intermediate" profile: TLS 1.2 and 1.3 only; in TLS 1.2 only
 * ECDHE key exchange (forward secrecy) with AEAD ciphers (GCM, ChaCha20),
 * so no static-RSA and no CBC suites. TLS 1.3 suites are all AEAD.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export function tlsOptions(
  { cert, key }: { readonly cert: Buffer; readonly key: Buffer },
  handshakeTimeoutMs: number,
): TlsOptions & SecureContextOptions {
  return {
    cert,
    key,
    minVersion: 'TLSv1.2',
    ciphers: TLS12_CIPHERS,
    ecdhCurve: 'X25519:prime256v1:secp384r1',
    // Every offered suite is strong; the server's order (the list above) still decides, so no
    // scanner or client has to trust the client's preference.
    honorCipherOrder: true,
    // A client that starts a handshake and stalls must not hold the socket for Node's default 120 s.
    handshakeTimeout: handshakeTimeoutMs,
  };
}
