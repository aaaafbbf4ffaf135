import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RETRY } from '../../src/modules/outbox/index.js';
import { nextPause } from '../../src/modules/outbox/retry.js';

test('by default a failing message is tried again after 1, 2, 4… minutes, at most 2 h apart, for a day, then fails', () => {
  const pauses: number[] = [];
  for (let attempts = 1; ; attempts += 1) {
    const pause = nextPause(attempts, DEFAULT_RETRY);
    if (pause === null) break;
    pauses.push(pause);
  }
  const minutes = pauses.map((pause) => pause / 60_000);
  assert.deepEqual(minutes.slice(0, 8), [1, 2, 4, 8, 16, 32, 64, 120]);
  assert.ok(minutes.every((pause) => pause <= 120));
  const waited = pauses.reduce((sum, pause) => sum + pause, 0);
  assert.ok(waited <= 24 * 3_600_000 && waited > 22 * 3_600_000, `waited ${waited / 3_600_000} h`);
});
