import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serializeError } from '../../src/platform/logger.js';

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
