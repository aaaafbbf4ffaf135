/**
 * test/support/not-run-reporter.ts, run as `npm test` runs it (beside spec)
 * on a suite file of its own: tests inside a skipped describe are counted,
 * grouped by reason, and each group names the command that enables it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { countInSource, splitReason } from '../support/not-run-reporter.js';
import { startHint, TEST_COMMAND } from '../support/test-databases.js';
import { ROOT } from '../support/paths.js';

const FIXTURE = `
import { before, describe, it, test } from 'node:test';

const CASES = ['a', 'b', 'c'] as const;

describe('runs', () => {
  test('one', () => {});
  test('skipped inside', (t) => t.skip('tool is not installed; to run: apt-get install -y tool'));
  test('fails', () => {
    throw new Error('boom');
  });
});

for (const db of ['x', 'y']) {
  describe(\`suite on \${db}\`, { skip: db === 'y' ? 'y is down; to run: bash start-y.sh' : false }, () => {
    before(() => {
      if (/y/.test(db)) throw new Error('the body of a skipped suite must not run');
    });
    test('a', () => {});
    for (const c of CASES) it(\`case \${c}\`, () => {});
    describe('nested', () => {
      test('b', () => {});
    });
  });
}

describe('generated', { skip: 'no command here' }, () => {
  for (let i = 0; i < 3; i++) test(\`n\${i}\`, () => {});
});
`;

/** This test runs inside a test runner's child; the nested run must be a runner of its own. */
function runnerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  return env;
}

test('the end of a run says how many tests did not run, why, and the command that runs them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'not-run-'));
  try {
    const file = join(dir, 'fixture.test.ts');
    writeFileSync(file, FIXTURE);
    const result = spawnSync(
      process.execPath,
      ['--require', 'tsx', '--test', '--test-reporter=./test/support/not-run-reporter.ts', '--test-reporter-destination=stdout', file],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: runnerEnv() },
    );
    assert.equal(result.status, 1, `the fixture has one failing test:\n${result.stdout}${result.stderr}`);
    const block = result.stdout.slice(result.stdout.indexOf('── tests that did not run ──'));
    const where = `      in ${relative(ROOT, file)}`;
    assert.deepEqual(block.trimEnd().split('\n'), [
      '── tests that did not run ──',
      'at least 7 tests did not run (every test in a skipped suite counted), by reason:',
      '  5: y is down',
      where,
      '      to run them: bash start-y.sh',
      '  1: tool is not installed',
      where,
      '      to run them: apt-get install -y tool',
      '  at least 1: no command here',
      where,
      '      to run them: (the skip reason names no command)',
      'tests: 6 passed, 1 failed, 7 skipped',
    ]);
    assert.doesNotMatch(result.stdout, /must not run/);
    assert.match(result.stdout, /✔ one/, "spec's lines are printed");
    assert.match(result.stdout, /^ℹ duration_ms \d/m);
    // Node counts a skipped suite as one item: its own tally would contradict the line above.
    assert.doesNotMatch(result.stdout, /^ℹ (tests|suites|pass|fail|cancelled|skipped|todo) \d+$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a skipped suite is counted from its source: loops over literal arrays multiply, other loops give a lower bound', () => {
  const source = `
    const DBS = ['a', 'b'];
    describe('plain', () => { test('1', () => {}); it.skip('2', () => {}); });
    describe(\`on \${db} server\`, () => {
      for (const x of DBS) { test(x, () => {}); describe('inner', () => { for (const y of [1, 2, 3]) it(String(y), () => {}); }); }
      const ok = /x/.test('x');
    });
    describe('helper', () => { function add() { test('h', () => {}); } add(); add(); });
  `;
  assert.deepEqual(countInSource(ts, 'x.test.ts', source, 'plain'), { tests: 2, exact: true });
  assert.deepEqual(countInSource(ts, 'x.test.ts', source, 'on MariaDB server'), { tests: 2 + 2 * 3, exact: true });
  assert.deepEqual(countInSource(ts, 'x.test.ts', source, 'helper'), { tests: 1, exact: false });
  assert.deepEqual(countInSource(ts, 'x.test.ts', source, 'not in this file'), { tests: 1, exact: false });
});

test('a skip reason splits into why and the command after "; to run: "', () => {
  assert.deepEqual(splitReason('db is down (ECONNREFUSED); to run: bash scripts/test-databases.sh'), {
    why: 'db is down (ECONNREFUSED)',
    enable: 'bash scripts/test-databases.sh',
  });
  assert.deepEqual(splitReason('CRM_BASE_URL targets an external server'), { why: 'CRM_BASE_URL targets an external server', enable: undefined });
});

test('an unreachable default test server points at the test command; one a TEST_*_URL names is the user\'s to start', () => {
  assert.equal(startHint('TEST_MYSQL_URL', {}), TEST_COMMAND);
  const custom = startHint('TEST_MYSQL_URL', { TEST_MYSQL_URL: 'mysql://root@127.0.0.1:3999/mine' });
  assert.match(custom, /start the server TEST_MYSQL_URL names/);
  assert.match(custom, /env -u TEST_MYSQL_URL bash scripts\/test\.sh$/);
  assert.equal(startHint('TEST_REDIS_URL', { TEST_MYSQL_URL: 'mysql://elsewhere/x' }), TEST_COMMAND);
});
