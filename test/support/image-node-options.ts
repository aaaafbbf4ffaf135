/**
 * The NODE_OPTIONS the image runs the app with (the Dockerfile's runtime
 * ENV), read from the Dockerfile so that benchmarks and memory tests measure
 * the heap configuration a pod has, not V8's defaults for this 24 GiB machine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export function imageNodeOptions(): string {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const found = /^\s*NODE_OPTIONS="([^"]*)"/m.exec(dockerfile) ?? /^\s*NODE_OPTIONS=(\S+)/m.exec(dockerfile);
  if (!found?.[1]) throw new Error('the Dockerfile sets no NODE_OPTIONS in its runtime stage');
  return found[1];
}
