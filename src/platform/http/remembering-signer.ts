import { Signer, type UnsignResult } from '@fastify/cookie';
import { createLRU } from 'lru.min';

/** Signed values remembered at most (with the accepted forms of form-protection.ts, 3.7 MB of heap when both are full); the least recently used is forgotten first. */
export const REMEMBERED_MAX = 5_000;

/**
 * @fastify/cookie's HMAC-SHA256 signer, remembering the values it signed or
 * found valid, so that a visitor's cookie is checked once, not on every
 * request: an HMAC per request was about a tenth of the public lookup's CPU
 * under load (decision 31). The answer for a signed value cannot change
 * while the secret does not, so a remembered answer is the one the HMAC
 * would give. Values that fail are never remembered: forged cookies cannot
 * fill the memory, and each try is checked in full. Bounded: past
 * REMEMBERED_MAX the least recently used is forgotten, and checked again if
 * it returns. (`signer` is the library's, replaced only by tests that count
 * its work.)
 */
export function rememberingSigner(secret: string, most = REMEMBERED_MAX, signer: Signer = new Signer(secret, 'sha256')): Signer {
  const known = createLRU<string, UnsignResult>({ max: most });
  return {
    sign(value) {
      const signedValue = signer.sign(value);
      known.set(signedValue, Object.freeze({ valid: true, renew: false, value }));
      return signedValue;
    },
    unsign(signedValue) {
      const remembered = known.get(signedValue);
      if (remembered) return remembered;
      const result = signer.unsign(signedValue);
      // One signed with an older secret (renew) is checked each time, until the visitor gets a re-signed cookie.
      if (result.valid && !result.renew) known.set(signedValue, Object.freeze(result));
      return result;
    },
  };
}
