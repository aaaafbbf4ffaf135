import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { SETTINGS } from '../../src/config.js';
import { ROOT } from '../support/paths.js';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const sorted = (names: Iterable<string>) => [...new Set(names)].sort();

/** The variables docker compose interpolates (`${NAME…}`): they sit in .env.example beside the app's. */
const composeVariables = () => new Set([...read('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map(([, name]) => name!));

describe('every setting is documented where an operator looks', () => {
  test('.env.example assigns every setting the schema has, and nothing else but docker compose variables', () => {
    const assigned = [...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map(([, name]) => name!);
    const compose = composeVariables();
    assert.deepEqual(sorted(SETTINGS.filter((name) => !assigned.includes(name))), [], 'settings missing from .env.example');
    assert.deepEqual(sorted(assigned.filter((name) => !SETTINGS.includes(name) && !compose.has(name))), [], '.env.example assigns what neither the app nor compose reads');
  });

  test("docs/configuration.md's table lists exactly the settings the schema has", () => {
    const rows = read('docs/configuration.md').split('\n').filter((line) => /^\| `[A-Z]/.test(line));
    const documented = rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map(([, name]) => name!));
    assert.deepEqual(sorted(documented), sorted(SETTINGS));
  });
});
