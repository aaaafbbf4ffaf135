import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import {
  hashPassword,
  isAcceptableHash,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  passwordProblem,
  verifyPassword,
} from '../../src/modules/staff/password.js';
import { ROOT } from '../support/paths.js';

const GOOD = 'violet-tugboat-harmonica-47';

describe('passwordProblem', () => {
  test('accepts a long passphrase that is neither common nor the user name', () => {
    assert.equal(passwordProblem('ahamilton', GOOD), null);
  });

  test('refuses fewer than 12 and more than 256 characters, counting code points', () => {
    assert.match(passwordProblem('ahamilton', 'x7#kQ9!mZ2v') ?? '', /at least 12 characters/);
    assert.equal(passwordProblem('ahamilton', 'x7#kQ9!mZ2vR'), null);
    // Each emoji is two UTF-16 code units but one character for the person typing it.
    assert.match(passwordProblem('ahamilton', '😀'.repeat(PASSWORD_MIN_LENGTH - 1)) ?? '', /at least 12/);
    assert.equal(passwordProblem('ahamilton', '😀'.repeat(PASSWORD_MIN_LENGTH)), null);
    assert.equal(passwordProblem('ahamilton', '😀'.repeat(PASSWORD_MAX_LENGTH)), null);
    assert.match(passwordProblem('ahamilton', '😀'.repeat(PASSWORD_MAX_LENGTH + 1)) ?? '', /at most 256 characters/);
    assert.match(passwordProblem('ahamilton', 'x'.repeat(10_000)) ?? '', /at most 256/);
  });

  test('refuses the user name itself or a password containing it, ignoring case', () => {
    assert.match(passwordProblem('alexander.hamilton', 'Alexander.Hamilton') ?? '', /user name/);
    assert.match(passwordProblem('ann', 'violet-ANN-tugboat') ?? '', /user name/);
    assert.match(passwordProblem('AHamilton', 'my-name-is-ahamilton') ?? '', /user name/);
  });

  test('a user name of fewer than 3 characters may appear inside the password', () => {
    assert.equal(passwordProblem('jo', 'jolly-mountain-river'), null);
  });

  test('refuses passwords on the common list, ignoring case', () => {
    for (const common of ['password1234', 'PassWord1234', 'QWERTYUIOP123', '123456789012', 'administrator', 'Globomantics1']) {
      assert.match(passwordProblem('ahamilton', common) ?? '', /most common/, common);
    }
  });

  test('refuses a listed password with only digits or symbols added at the end', () => {
    for (const variant of ['Sunshine2024!', 'password!!!!', 'administrator 7', 'Baseball-1990']) {
      assert.match(passwordProblem('ahamilton', variant) ?? '', /added at the end/, variant);
    }
  });

  test('data/common-passwords.txt is lower-case, unique, sorted and without blank lines', () => {
    const lines = readFileSync(join(ROOT, 'data', 'common-passwords.txt'), 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.ok(lines.length > 10_000, `${lines.length} lines`);
    assert.ok(lines.every((line) => line !== '' && line === line.toLowerCase() && line.trim() === line));
    assert.deepEqual(lines, [...new Set(lines)].sort());
  });
});

describe('hashPassword and verifyPassword', () => {
  test("hashes with argon2id and OWASP's parameters, a new salt each time", async () => {
    const first = await hashPassword(GOOD);
    const second = await hashPassword(GOOD);
    assert.match(first, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.notEqual(first, second);
    assert.ok(isAcceptableHash(first));
  });

  test('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword(GOOD);
    assert.equal(await verifyPassword(stored, GOOD), true);
    assert.equal(await verifyPassword(stored, `${GOOD}x`), false);
    assert.equal(await verifyPassword(stored, GOOD.toUpperCase()), false);
  });

  test('without a stored hash (unknown or disabled user), refuses every password', async () => {
    assert.equal(await verifyPassword(null, GOOD), false);
    assert.equal(await verifyPassword(null, ''), false);
  });

  test('a malformed stored hash is a refusal, not an error', async () => {
    for (const malformed of ['', 'not a hash', '$argon2id$v=19$m=19456,t=2,p=1$abc$def', '$2b$12$abcdefghijklmnopqrstuv']) {
      assert.equal(await verifyPassword(malformed, GOOD), false, malformed);
    }
  });

  test('no stored hash takes about as long as a wrong password for a real user', async () => {
    const stored = await hashPassword(GOOD);
    await verifyPassword(null, GOOD); // computes the dummy hash once
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const timed = async (run: () => Promise<boolean>) => {
      const start = performance.now();
      await run();
      return performance.now() - start;
    };
    const unknown: number[] = [];
    const wrong: number[] = [];
    // Interleaved, so that load from elsewhere on the machine falls on both.
    for (let round = 0; round < 7; round++) {
      unknown.push(await timed(() => verifyPassword(null, 'wrong-password-1234')));
      wrong.push(await timed(() => verifyPassword(stored, 'wrong-password-1234')));
    }
    const ratio = median(unknown) / median(wrong);
    assert.ok(ratio > 0.5 && ratio < 2, `unknown ${median(unknown).toFixed(1)} ms, wrong ${median(wrong).toFixed(1)} ms`);
  });
});

describe('isAcceptableHash', () => {
  const withParameters = (stored: string, parameters: string) => stored.replace('m=19456,t=2,p=1', parameters);

  test('accepts argon2id with at least and at most the limits', async () => {
    const stored = await hashPassword(GOOD);
    assert.ok(isAcceptableHash(stored));
    assert.ok(isAcceptableHash(withParameters(stored, 'm=65536,t=3,p=4')));
  });

  test('refuses weaker parameters than OWASP', async () => {
    const stored = await hashPassword(GOOD);
    for (const weaker of ['m=19455,t=2,p=1', 'm=4096,t=2,p=1', 'm=19456,t=1,p=1', 'm=47104,t=1,p=1']) {
      assert.equal(isAcceptableHash(withParameters(stored, weaker)), false, weaker);
    }
  });

  test('refuses parameters that would make every sign-in too costly', async () => {
    const stored = await hashPassword(GOOD);
    for (const costly of ['m=65537,t=2,p=1', 'm=1048576,t=2,p=1', 'm=19456,t=11,p=1', 'm=19456,t=2,p=5']) {
      assert.equal(isAcceptableHash(withParameters(stored, costly)), false, costly);
    }
  });

  test('refuses other algorithms, the old version, short salts and other formats', async () => {
    const stored = await hashPassword(GOOD);
    assert.equal(isAcceptableHash(stored.replace('$argon2id$', '$argon2i$')), false);
    assert.equal(isAcceptableHash(stored.replace('$argon2id$', '$argon2d$')), false);
    assert.equal(isAcceptableHash(stored.replace('$v=19$', '$v=16$')), false);
    const [, , , , salt, tag] = stored.split('$');
    assert.equal(isAcceptableHash(stored.replace(`$${salt}$`, '$c2FsdHNhbHQ$')), false, '8-byte salt');
    assert.equal(isAcceptableHash(stored.replace(`$${tag}`, '$aGFzaGhhc2hoYXNoaGFzaA')), false, '16-byte tag');
    for (const other of ['', GOOD, `${stored}\n`, ` ${stored}`, '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW']) {
      assert.equal(isAcceptableHash(other), false, JSON.stringify(other));
    }
  });
});
