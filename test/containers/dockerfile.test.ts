import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import type makeDockerignore from '@balena/dockerignore';
import { ROOT } from '../support/paths.js';

// A CommonJS factory whose typings declare an ES default export; require() gives the factory itself.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as typeof makeDockerignore.default;

const root = ROOT;
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions with their continuation lines joined; comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

const all = instructions(dockerfile);
const lastFrom = all.map((i) => i.keyword).lastIndexOf('FROM');
const runtime = all.slice(lastFrom);
const inRuntime = (keyword: string) => runtime.filter((i) => i.keyword === keyword);

test('the Dockerfile has no # syntax= directive', () => {
  assert.doesNotMatch(dockerfile, /^#\s*syntax\s*=/im);
});

test('the base image is a build argument defaulting to an official Node LTS Debian slim image', () => {
  const first = all[0];
  assert.ok(first, 'empty Dockerfile');
  assert.equal(first.keyword, 'ARG');
  const match = /^NODE_IMAGE=node:(\d+)-bookworm-slim$/.exec(first.args);
  assert.ok(match, `first instruction is ARG ${first.args}`);
  assert.equal(Number(match[1]) % 2, 0, 'Node LTS majors are even');
  const stages = new Set<string>();
  for (const from of all.filter((i) => i.keyword === 'FROM')) {
    const [image = '', as, name] = from.args.split(/\s+/);
    assert.ok(image === '${NODE_IMAGE}' || stages.has(image), `FROM ${from.args} is neither \${NODE_IMAGE} nor an earlier stage`);
    if (as?.toUpperCase() === 'AS' && name) stages.add(name);
  }
  assert.ok(stages.size >= 2, 'a multi-stage build');
  assert.match(runtime[0]?.args ?? '', /^\$\{NODE_IMAGE\}/, 'the runtime stage starts from the Node image itself');
});

test('the runtime stage runs as node, exposes 5000, checks /healthz and starts node in exec form', () => {
  const users = inRuntime('USER');
  assert.equal(users.at(-1)?.args, 'node');
  assert.deepEqual(inRuntime('EXPOSE').map((i) => i.args), ['5000']);
  const healthcheck = inRuntime('HEALTHCHECK');
  assert.equal(healthcheck.length, 1);
  assert.match(healthcheck[0]?.args ?? '', /CMD \[.*https.*127\.0\.0\.1.*\/healthz/);
  const cmd = inRuntime('CMD');
  assert.equal(cmd.length, 1);
  assert.deepEqual(JSON.parse(cmd[0]?.args ?? ''), ['node', 'dist/server.js']);
  assert.ok(inRuntime('ENV').some((i) => /\bNODE_ENV=production\b/.test(i.args)), 'NODE_ENV=production');
  assert.equal(inRuntime('WORKDIR').at(-1)?.args, '/app');
});

test('the runtime stage gets the built app, production modules and the seed, and nothing secret', () => {
  const copies = inRuntime('COPY').map((i) => i.args);
  assert.ok(copies.some((c) => /--from=\S+ \/app\/dist \.\/dist/.test(c)), 'dist/ from a build stage');
  assert.ok(copies.some((c) => /--from=\S+ \/app\/node_modules \.\/node_modules/.test(c)), 'node_modules from a stage');
  assert.ok(copies.some((c) => /^data \.\/data$/.test(c)), 'data/ (the seed)');
  for (const c of copies) assert.doesNotMatch(c, /ssl|\.pem|\.key|\.env/, `COPY ${c}`);
  // Build arguments (the extra CA text) stay in the build stages.
  assert.equal(inRuntime('ARG').length, 0);
  for (const i of all.filter((x) => x.keyword === 'ARG' || x.keyword === 'ENV')) {
    assert.doesNotMatch(i.args, /(SECRET|PASSWORD|TOKEN)\w*=/i, `${i.keyword} ${i.args}`);
  }
  assert.match(dockerfile, /npm (ci|prune) [^\n]*--omit=dev/, 'production dependencies only in the runtime');
});

test('.dockerignore keeps TLS files, env files, local state, modules and git out of the context', () => {
  const patterns = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8');
  // Docker's own matching rules (last match wins, `!` re-includes), as ported by @balena/dockerignore.
  const matcher = dockerignore().add(patterns.split('\n'));
  for (const p of ['ssl/key.pem', 'ssl/cert.pem', '.env', '.env.local', 'src/.env', 'node_modules/fastify/package.json',
    '.git/HEAD', 'var/crm.sqlite', 'data/extra.key', 'dist/server.js', 'secrets/bootstrap-admin', 'k8s/manifest/secrets/bootstrap-admin']) {
    assert.equal(matcher.ignores(p), true, `${p} must be excluded`);
  }
  for (const p of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/server.ts',
    'data/initial.json', 'public/crm.css']) {
    assert.equal(matcher.ignores(p), false, `${p} must be in the context`);
  }
  for (const explicit of ['ssl/', '.env', 'node_modules/', '.git/', 'var/']) {
    assert.ok(patterns.split('\n').includes(explicit), `.dockerignore lists ${explicit}`);
  }
});
