import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { serializeError } from '../../src/platform/logger.js';
import { ROOT } from '../support/paths.js';

const LOGGER = `${ROOT}/src/platform/logger.ts`;

describe('error logs', () => {
  test("a database error's SQL, parameters and row details are not logged; its code and message are", () => {
    const cause = Object.assign(new Error('inner'), { sql: "SELECT 'SECRET-ID'" });
    const error = Object.assign(new Error("Duplicate entry for key 'PRIMARY'", { cause }), {
      code: 'ER_DUP_ENTRY',
      sql: "INSERT INTO account VALUES ('SECRET-ID', 1, 2)",
      parameters: ['SECRET-ID'],
      detail: 'Key (acctid)=(SECRET-ID) already exists.',
    });
    const line = JSON.stringify(serializeError(error));
    assert.match(line, /ER_DUP_ENTRY/);
    assert.match(line, /Duplicate entry/);
    assert.doesNotMatch(line, /SECRET-ID/);
  });
});

describe('log lines are batched', () => {
  /** Runs `body` in a child process with a JSON logger `logger` in scope; the lines it wrote on stdout, in order. */
  async function childLog(body: string): Promise<string[]> {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const { createLogger } = await import(${JSON.stringify(LOGGER)}); const logger = createLogger('info'); ${body}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await once(child, 'close');
    return text.split('\n').filter(Boolean);
  }

  test('a lone line is written within about a second, though it fills no buffer', async () => {
    // The child logs once, then writes "exit" to stdout itself 4 s later: the line must come before it, from the periodic flush.
    const lines = await childLog(`logger.info('only line'); setTimeout(() => process.stdout.write('exit\\n'), 4000);`);
    assert.match(lines[0] ?? '', /only line/);
    assert.equal(lines[1], 'exit');
  });

  test('lines still in the buffer are written when the process exits', async () => {
    const lines = await childLog(`for (let i = 0; i < 3; i++) logger.info('line ' + i); process.exit(0);`);
    assert.deepEqual(
      lines.map((line) => (JSON.parse(line) as { msg: string }).msg),
      ['line 0', 'line 1', 'line 2'],
    );
  });
});
