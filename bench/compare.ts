/**
 * npm run bench's figures: each scenario's rounds summed up into one figure
 * per connection count (medians, with the ratio to the ceiling measured just
 * before it in the same round), and the change of each figure against an
 * earlier run's file.
 */
import type { Measured } from './support.js';

export interface Figure {
  readonly scenario: string;
  readonly connections: number;
  /** Medians over the rounds. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** The ceiling the ratio is to, or null for a ceiling. */
  readonly ceiling: string | null;
  /** Median of the rounds' ratios (req/s ÷ the ceiling's req/s in the same round), or null. */
  readonly ratio: number | null;
  readonly ratios: readonly number[];
  /** The server's CPU time per request (median over the rounds), in microseconds. */
  readonly cpuUsPerRequest: number;
  /**
   * The ceiling's CPU per request ÷ ours (median over the rounds): the share of
   * the ceiling's rate we would reach with a core each, which the machine's
   * other work moves far less than req/s; null for a ceiling.
   */
  readonly cpuRatio: number | null;
  readonly errors: number;
  readonly non2xx: number;
  readonly rssMb: number;
  /** The 1-minute load average at the end of each round's measurement. */
  readonly loadAverages: readonly number[];
}

/** What `--out` writes (and `--compare` reads). */
export interface RunFile {
  readonly generator: string;
  readonly threads: number;
  readonly seconds: number;
  readonly rounds: number;
  readonly nodeOptions: string;
  readonly rateLimit: number;
  readonly redis: boolean;
  readonly loadAverageBefore: number;
  readonly figures: readonly Figure[];
  readonly measured: readonly (Measured & { round: number })[];
  readonly targets: readonly { scenario: string; connections: number; need: number; ratio: number; met: boolean }[];
  readonly met: boolean;
}

/**
 * The file runs wrote before this format (bench/results/latest.json until
 * 2026-12-06): `results` (one measurement a scenario) and `rounds` (paired
 * lookup/ceiling at 64 connections).
 */
interface OldRunFile {
  readonly loadAverageBefore: number;
  readonly results: readonly Omit<Measured, 'loadAverage' | 'cpuUsPerRequest'>[];
  readonly rounds?: readonly { lookup: Measured; ceiling: Measured; ratio: number }[];
}

const OLD_NAMES: Readonly<Record<string, string>> = { 'ours POST / lookup': 'lookup POST /', 'ours GET /': 'GET /' };

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

export function summarize(measured: readonly (Measured & { round: number })[], ceilingOf: (scenario: string) => string | undefined): Figure[] {
  const keys = [...new Map(measured.map((m) => [`${m.name}@${m.connections}`, m])).values()];
  return keys.map(({ name, connections }) => {
    const mine = measured.filter((m) => m.name === name && m.connections === connections);
    const ceiling = ceilingOf(name) ?? null;
    const ceilingIn = (m: Measured & { round: number }) => measured.find((x) => x.name === ceiling && x.connections === connections && x.round === m.round);
    const ratios = ceiling ? mine.map((m) => round(m.rps / (ceilingIn(m)?.rps ?? Number.NaN), 3)) : [];
    const cpuRatios = ceiling ? mine.map((m) => (ceilingIn(m)?.cpuUsPerRequest ?? Number.NaN) / m.cpuUsPerRequest) : [];
    return {
      scenario: name,
      connections,
      rps: Math.round(median(mine.map((m) => m.rps))),
      p50: round(median(mine.map((m) => m.p50)), 2),
      p99: round(median(mine.map((m) => m.p99)), 2),
      ceiling,
      ratio: ceiling ? round(median(ratios), 3) : null,
      ratios,
      cpuUsPerRequest: Math.round(median(mine.map((m) => m.cpuUsPerRequest))),
      cpuRatio: ceiling ? round(median(cpuRatios), 3) : null,
      errors: mine.reduce((sum, m) => sum + m.errors, 0),
      non2xx: mine.reduce((sum, m) => sum + m.non2xx, 0),
      rssMb: Math.max(...mine.map((m) => m.rssMb)),
      loadAverages: mine.map((m) => m.loadAverage),
    };
  });
}

/** An earlier run's figures, in either file format. */
function figuresOf(file: RunFile | OldRunFile): readonly Figure[] {
  if ('figures' in file) return file.figures;
  const ceilingAt = (connections: number) => file.results.find((r) => r.name.startsWith('ceiling: Fastify') && r.connections === connections);
  return file.results.map((r) => {
    const ceiling = r.name.startsWith('ceiling') ? undefined : ceilingAt(r.connections);
    return {
      scenario: OLD_NAMES[r.name] ?? r.name,
      connections: r.connections,
      rps: r.rps,
      p50: r.p50,
      p99: r.p99,
      ceiling: ceiling ? ceiling.name : null,
      ratio: ceiling ? round(r.rps / ceiling.rps, 3) : null,
      ratios: [],
      cpuUsPerRequest: Number.NaN,
      cpuRatio: null,
      errors: r.errors,
      non2xx: r.non2xx,
      rssMb: r.rssMb,
      loadAverages: [file.loadAverageBefore],
    };
  });
}

const change = (before: number, after: number) => `${after >= before ? '+' : ''}${(100 * (after / before - 1)).toFixed(1)}%`;

/** Prints each figure of `after` beside the same figure of `before`: req/s, p99 and the ratio to the ceiling. */
export function compareRuns(before: RunFile | OldRunFile, after: RunFile | OldRunFile, beforeName: string, afterName: string): void {
  const old = figuresOf(before);
  console.log(`\nchange from ${beforeName} (load average before ${before.loadAverageBefore}) to ${afterName} (load average before ${after.loadAverageBefore}):`);
  console.log('scenario | conns | req/s before → after (change) | p99 ms before → after (change) | ratio to ceiling before → after (points) | CPU µs/request before → after');
  for (const f of figuresOf(after)) {
    const b = old.find((o) => o.scenario === f.scenario && o.connections === f.connections);
    if (!b) {
      console.log(`${f.scenario} | ${f.connections} | ${f.rps} (not in ${beforeName}) | ${f.p99} | ${f.ratio === null ? '' : `${(100 * f.ratio).toFixed(1)}%`}`);
      continue;
    }
    const ratio =
      f.ratio !== null && b.ratio !== null
        ? `${(100 * b.ratio).toFixed(1)}% → ${(100 * f.ratio).toFixed(1)}% (${f.ratio >= b.ratio ? '+' : ''}${(100 * (f.ratio - b.ratio)).toFixed(1)})`
        : '';
    const cpu = Number.isFinite(b.cpuUsPerRequest) ? `${b.cpuUsPerRequest} → ${f.cpuUsPerRequest} (${change(b.cpuUsPerRequest, f.cpuUsPerRequest)})` : '';
    console.log(`${f.scenario} | ${f.connections} | ${b.rps} → ${f.rps} (${change(b.rps, f.rps)}) | ${b.p99} → ${f.p99} (${change(b.p99, f.p99)}) | ${ratio} | ${cpu}`);
  }
  for (const b of old) {
    if (!figuresOf(after).some((f) => f.scenario === b.scenario && f.connections === b.connections)) console.log(`${b.scenario} | ${b.connections} | only in ${beforeName}: ${b.rps} req/s`);
  }
}
