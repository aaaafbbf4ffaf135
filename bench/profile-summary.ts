/**
 * Summarizes a V8 CPU profile (`node --cpu-prof` writes one .cpuprofile at
 * exit): the functions with the most self time, and self time by package
 * (node_modules/<name>, node: internals, the app's own files, the garbage
 * collector, idle), and the functions with the most inclusive time (their
 * own and their callees'), which shows what a whole step costs (a hook, the
 * log line, the query builder). For finding per-request work on a hot path.
 *
 *   node --import tsx bench/profile-summary.ts FILE.cpuprofile [top, default 30]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: bench/profile-summary.ts FILE.cpuprofile [top]');
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

// Self time: each sample's time goes to the node that was on top of the stack.
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

function packageOf(url: string, name: string): string {
  if (name === '(garbage collector)' || name === '(idle)' || name === '(program)') return name;
  if (url === '') return '(native)';
  const parts = url.split('node_modules/').at(-1)!.split('/');
  if (url.includes('node_modules/')) return parts[0]!.startsWith('@') ? `${parts[0]!}/${parts[1]!}` : parts[0]!;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0]!;
  const own = /\/(dist|src)\/(.*)$/.exec(url);
  return own ? `app: ${own[2]!.split('/').slice(0, 2).join('/')}` : url;
}

const fn = new Map<string, number>();
const pkg = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|src)\//, '$1/');
  const key = `${functionName || '(anonymous)'}  ${where}${where ? `:${lineNumber + 1}` : ''}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const p = packageOf(url, functionName);
  pkg.set(p, (pkg.get(p) ?? 0) + us);
}

const line = (us: number, label: string) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${label}`;
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n\nself time by package:`);
for (const [label, us] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(line(us, label));
console.log('\nself time by function:');
for (const [label, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(line(us, label));

// Inclusive time: each sample counts once for every distinct function on its stack.
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
const keyOf = (id: number) => {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|src)\//, '$1/');
  return `${functionName || '(anonymous)'}  ${where}${where ? `:${lineNumber + 1}` : ''}`;
};
const inclusive = new Map<string, number>();
profile.samples.forEach((id, i) => {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(keyOf(at));
  for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
console.log('\ninclusive time by function (a sample counts for every function on its stack):');
for (const [label, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 2 * top)) console.log(line(us, label));
