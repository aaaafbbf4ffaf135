import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hash, parseOptions, verify, type Algorithm, type Options } from '@node-rs/argon2';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256; // bounds argon2 work per request

/**
 * Algorithm.Argon2id, written as its number: the enum is an ambient const
 * enum, which verbatimModuleSyntax cannot import as a value, and the binding
 * exports it as an empty object at run time (Algorithm.Argon2id would be
 * undefined there).
 */
const ARGON2ID = 2 as Algorithm.Argon2id;
/** Version.V0x13, the current Argon2 version (v=19 in the PHC string). */
const VERSION_0X13 = 1;

/** OWASP's Password Storage Cheat Sheet: argon2id, 19 MiB, 2 passes, 1 lane. RFC 9106's 16-byte salt and 32-byte tag. */
const HASH_OPTIONS = {
  algorithm: ARGON2ID,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
} as const satisfies Options;
const MIN_SALT_BYTES = 16;
/**
 * Ceilings for a hash that someone else made: every sign-in repeats its
 * work, and the image's pod has 256 MiB, so a hash of 1 GiB or 1,000 passes
 * would take the replica down at the first sign-in rather than at start-up.
 */
const MAX_MEMORY_KIB = 65536;
const MAX_TIME_COST = 10;
const MAX_PARALLELISM = 4;

/** $argon2id$v=19$m=…,t=…,p=…$salt$tag, unpadded standard base64; no keyid or data fields. */
const PHC_ARGON2ID = /^\$argon2id\$v=19\$m=\d{1,10},t=\d{1,10},p=\d{1,3}\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

// Resolved from this file, three levels below the package root both as
// src/modules/staff/password.ts and as dist/modules/staff/password.js.
const COMMON_PASSWORDS_FILE = new URL('../../../data/common-passwords.txt', import.meta.url);
let commonPasswords: ReadonlySet<string> | undefined;

/** Read at the first policy check, not at import: sign-in and most tests never need it. */
function isCommon(lowerCased: string): boolean {
  if (!commonPasswords) {
    // A constant path inside the package, never a visitor's input.
    // eslint-disable-next-line security/detect-non-literal-fs-filename
    const lines = readFileSync(COMMON_PASSWORDS_FILE, 'utf8').split('\n');
    commonPasswords = new Set(lines.map((line) => line.trim()).filter((line) => line !== ''));
  }
  return commonPasswords.has(lowerCased);
}

/**
 * A person-readable reason the new password is refused, or null when it is
 * acceptable. In order:
 * - 12 to 256 characters, counted as Unicode code points (an emoji is one);
 * - not the user name and, for user names of 3 or more characters, not
 *   containing it, ignoring case;
 * - not in data/common-passwords.txt, ignoring case, and not a listed
 *   password followed only by digits, punctuation, symbols or blanks
 *   ("Sunshine2024!"), the change people make to get past a length rule.
 */
export function passwordProblem(username: string, password: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `The password must be at least ${PASSWORD_MIN_LENGTH} characters long.`;
  if (length > PASSWORD_MAX_LENGTH) return `The password must be at most ${PASSWORD_MAX_LENGTH} characters long.`;

  const lowerPassword = password.toLowerCase();
  const lowerUsername = username.toLowerCase();
  if (lowerPassword === lowerUsername || ([...username].length >= 3 && lowerPassword.includes(lowerUsername))) {
    return 'The password must not contain the user name.';
  }

  if (isCommon(lowerPassword)) return 'This password is one of the most common ones, which attackers try first.';
  // Linear enough: the length rule above caps the input at 256 code points.
  const stem = lowerPassword.replace(/[\p{N}\p{P}\p{S}\s]+$/u, '');
  if (stem !== '' && stem !== lowerPassword && isCommon(stem)) {
    return 'This password is a common one with digits or symbols added at the end, which attackers try early.';
  }
  return null;
}

/** argon2id with OWASP's parameters; the library draws a random 16-byte salt for each hash. */
export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFC'), HASH_OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/** A hash of a random password with the same parameters, for the same work when there is no real hash. */
function getDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url')).catch((error: unknown) => {
    dummyHash = undefined;
    throw error;
  });
  return dummyHash;
}

/** Computes the dummy hash ahead of the first sign-in, so not even the first unknown user takes longer. */
export async function preparePasswordVerification(): Promise<void> {
  await getDummyHash();
}

/**
 * Constant-time verify (the library compares the tags in constant time).
 * With storedHash null (unknown or disabled user) or a hash the library cannot
 * read, it verifies against the dummy hash and returns false: the same
 * argon2 work as a wrong password for a real user, so the time taken does
 * not tell whether the user exists. The very first such call also computes
 * the dummy hash, once per process.
 */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  if (storedHash !== null) {
    try {
      // NFC: the same accented password typed on two keyboards is the same password.
      return await verify(storedHash, password.normalize('NFC'));
    } catch {
      // A malformed stored hash fails before any argon2 work: do the dummy's below.
    }
  }
  try {
    await verify(await getDummyHash(), password);
  } catch {
    // The dummy is our own well-formed hash; the answer is false either way.
  }
  return false;
}

/**
 * Whether text is an argon2id hash in PHC format (version 19, no keyid or
 * data fields) whose every parameter is at least what hashPassword uses
 * (m=19456 KiB, t=2, p=1, 16-byte salt, 32-byte tag) and at most the
 * ceilings above. For a bootstrap file that provides a hash instead of a
 * password.
 */
export function isAcceptableHash(text: string): boolean {
  if (!PHC_ARGON2ID.test(text)) return false;
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(text);
  } catch {
    return false;
  }
  return (
    parsed.algorithm === ARGON2ID &&
    (parsed.version as number) === VERSION_0X13 &&
    parsed.memoryCost >= HASH_OPTIONS.memoryCost &&
    parsed.memoryCost <= MAX_MEMORY_KIB &&
    parsed.timeCost >= HASH_OPTIONS.timeCost &&
    parsed.timeCost <= MAX_TIME_COST &&
    parsed.parallelism >= HASH_OPTIONS.parallelism &&
    parsed.parallelism <= MAX_PARALLELISM &&
    parsed.saltLen >= MIN_SALT_BYTES &&
    parsed.outputLen >= HASH_OPTIONS.outputLen
  );
}
