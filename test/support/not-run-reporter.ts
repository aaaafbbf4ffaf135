/**
 * The test run's reporter: node:test's `spec` output, with Node's closing
 * counts replaced by the project's, then a plain account of which tests did
 * not run, grouped by reason, with the command that makes each group run (the
 * part of a skip reason after "; to run: ", see skipReason in ./tools.ts).
 *
 * node:test reports a skipped `describe` as one skipped item and never calls
 * its body, so the tests inside it are not reported at all (a skipped suite
 * gives one test:pass with details.type 'suite' and the reason in skip), and
 * its closing "ℹ skipped" counts that suite once or not at all. Those tests are
 * counted from the suite's source: the describe() call whose name matches,
 * and the test()/it() calls in its body, nested suites included. A loop over a
 * literal array (or a const bound to one in the same file) multiplies; any
 * other loop, or a test() inside a helper function, makes the count a lower
 * bound and the summary says "at least". Node's own count lines ("ℹ tests",
 * "ℹ pass", "ℹ skipped", …) would contradict that, so they are left out of
 * spec's output; "ℹ duration_ms" stays.
 *
 * Use (package.json's test scripts):
 *   node --require tsx --test --test-reporter=./test/support/not-run-reporter.ts
 *        --test-reporter-destination=stdout FILES
 * Reporters are loaded by the runner process, where `--import` modules are
 * not run: `--require` tsx is, so this file can be TypeScript; the test
 * files' processes get it too.
 *
 * It ends with a plain tally line, "tests: N passed, N failed, N skipped",
 * whose skipped counts every test of a skipped suite.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { spec, type TestEvent } from 'node:test/reporters';
import type * as TS from 'typescript';
import { ENABLE_MARKER } from './tools.js';

export interface Count {
  readonly tests: number;
  /** false when the source has loops or helpers the count cannot see through: then it is a lower bound. */
  readonly exact: boolean;
}

interface Group {
  why: string;
  enable: string | undefined;
  tests: number;
  exact: boolean;
  places: Set<string>;
}

// typescript is CommonJS (export =): its ESM default export is the whole API.
type Ts = typeof TS.default;
let typescript: Ts | undefined;

const SUITE_NAMES = new Set(['describe', 'suite']);
const TEST_NAMES = new Set(['test', 'it']);

/** Node's closing counts, which count a skipped suite as one item (or none). */
const NODE_COUNT_LINE = /^(tests|suites|pass|fail|cancelled|skipped|todo) \d+$/;

function isNodeCount(event: TestEvent): boolean {
  return event.type === 'test:diagnostic' && event.data.nesting === 0 && NODE_COUNT_LINE.test(event.data.message);
}

export default async function* notRunReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string, void> {
  const groups = new Map<string, Group>();
  const tally = { passed: 0, failed: 0 };
  const printer = new spec();
  const counting = (async () => {
    try {
      for await (const event of source) {
        if (!isNodeCount(event)) printer.write(event);
        await count(event, groups, tally);
      }
    } finally {
      printer.end();
    }
  })();
  for await (const chunk of printer) yield String(chunk);
  await counting;
  yield summary([...groups.values()], tally);
}

async function count(event: TestEvent, groups: Map<string, Group>, tally: { passed: number; failed: number }): Promise<void> {
  if (event.type !== 'test:pass' && event.type !== 'test:fail') return;
  const { data } = event;
  const isSuite = data.details.type === 'suite';
  const skipped = data.skip !== undefined && data.skip !== false;
  if (!skipped) {
    if (event.type === 'test:pass') {
      if (!isSuite) tally.passed++;
    } else if (data.todo !== undefined && data.todo !== false) {
      // A todo test that fails is a known failure node:test does not count against the run (its line says TODO).
    } else if (!isSuite || !failedOnlyThroughItsTests(event.data.details.error)) {
      tally.failed++; // a test, a file that did not load, or a suite whose hook failed
    }
    return;
  }
  const counted = isSuite ? await countSuiteTests(data.file, data.name) : { tests: 1, exact: true };
  const reason = typeof data.skip === 'string' && data.skip !== '' ? data.skip : 'skipped without a reason';
  const group = groups.get(reason) ?? { ...splitReason(reason), tests: 0, exact: true, places: new Set<string>() };
  group.tests += counted.tests;
  group.exact &&= counted.exact;
  group.places.add(data.file ? relative(process.cwd(), data.file) : 'unknown file');
  groups.set(reason, group);
}

/** node:test fails a suite when one of its tests failed; that failure is already counted. */
function failedOnlyThroughItsTests(error: Error): boolean {
  return (error as Error & { failureType?: string }).failureType === 'subtestsFailed';
}

/** "why; to run: command" → its two parts (the command is optional). */
export function splitReason(reason: string): { why: string; enable: string | undefined } {
  const at = reason.lastIndexOf(ENABLE_MARKER);
  if (at < 0) return { why: reason, enable: undefined };
  return { why: reason.slice(0, at), enable: reason.slice(at + ENABLE_MARKER.length) };
}

function summary(groups: Group[], { passed, failed }: { passed: number; failed: number }): string {
  const notRun = groups.reduce((sum, group) => sum + group.tests, 0);
  const atLeast = (exact: boolean): string => (exact ? '' : 'at least ');
  const exact = groups.every((group) => group.exact);
  const lines = ['', '── tests that did not run ──'];
  if (groups.length === 0) {
    lines.push('none: every test ran');
  } else {
    lines.push(`${atLeast(exact)}${notRun} tests did not run (every test in a skipped suite counted), by reason:`);
    for (const group of groups.sort((a, b) => b.tests - a.tests)) {
      lines.push(`  ${atLeast(group.exact)}${group.tests}: ${group.why}`);
      lines.push(`      in ${[...group.places].sort().join(', ')}`);
      lines.push(`      to run them: ${group.enable ?? '(the skip reason names no command)'}`);
    }
  }
  // The plain closing line: failed counts failed and cancelled tests and suites whose hooks
  // failed (spec's "failing tests" list); skipped counts every test of a skipped suite.
  lines.push(`tests: ${passed} passed, ${failed} failed, ${notRun} skipped`);
  return `${lines.join('\n')}\n`;
}

/**
 * How many tests a skipped suite holds, read from its source file. A suite
 * whose describe() cannot be found counts as one test, not exact.
 */
export async function countSuiteTests(file: string | undefined, suiteName: string): Promise<Count> {
  if (!file) return { tests: 1, exact: false };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { tests: 1, exact: false };
  }
  typescript ??= (await import('typescript')).default;
  return countInSource(typescript, file, text, suiteName);
}

export function countInSource(ts: Ts, file: string, text: string, suiteName: string): Count {
  const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const constArrays = new Map<string, number>();
  const suites: { body: TS.Node; exactName: boolean }[] = [];

  const visit = (node: TS.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const length = literalLength(ts, node.initializer);
      if (length !== undefined) constArrays.set(node.name.text, length);
    }
    if (ts.isCallExpression(node) && calleeIs(ts, node.expression, SUITE_NAMES)) {
      const match = nameMatches(ts, node.arguments[0], suiteName);
      const body = node.arguments.at(-1);
      if (match !== 'no' && body && isFunction(ts, body)) suites.push({ body, exactName: match === 'exact' });
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);

  // A literal name beats a pattern; several equally good candidates must agree.
  const best = suites.some((suite) => suite.exactName) ? suites.filter((suite) => suite.exactName) : suites;
  if (best.length === 0) return { tests: 1, exact: false };
  const counts = best.map((suite) => countTests(ts, suite.body, constArrays));
  const tests = Math.min(...counts.map((count) => count.tests));
  const agree = counts.every((count) => count.tests === tests && count.exact);
  return { tests, exact: agree };
}

/** The test()/it() calls in a suite body, nested suites included, times the loops around them. */
function countTests(ts: Ts, suiteBody: TS.Node, constArrays: ReadonlyMap<string, number>): Count {
  let tests = 0;
  let exact = true;
  const walk = (node: TS.Node, times: number): void => {
    if (ts.isCallExpression(node)) {
      if (calleeIs(ts, node.expression, TEST_NAMES)) {
        tests += times; // subtests made inside a test body only exist at run time
        return;
      }
      if (calleeIs(ts, node.expression, SUITE_NAMES)) {
        const body = node.arguments.at(-1);
        if (body && isFunction(ts, body)) ts.forEachChild(body, (child) => walk(child, times));
        return;
      }
    }
    if (ts.isForOfStatement(node)) {
      const length = iterableLength(ts, node.expression, constArrays);
      if (length === undefined) exact = false;
      walk(node.statement, times * (length ?? 1));
      return;
    }
    if (ts.isForStatement(node) || ts.isForInStatement(node) || ts.isWhileStatement(node) || ts.isDoStatement(node)) {
      exact = false;
    }
    if (isFunction(ts, node)) {
      // A helper defined in the suite may register tests once, many times or never.
      const before = tests;
      ts.forEachChild(node, (child) => walk(child, times));
      if (tests !== before) exact = false;
      return;
    }
    ts.forEachChild(node, (child) => walk(child, times));
  };
  ts.forEachChild(suiteBody, (child) => walk(child, 1));
  return { tests, exact };
}

function iterableLength(ts: Ts, expression: TS.Expression, constArrays: ReadonlyMap<string, number>): number | undefined {
  if (ts.isIdentifier(expression)) return constArrays.get(expression.text);
  return literalLength(ts, expression);
}

function literalLength(ts: Ts, expression: TS.Expression): number | undefined {
  let inner = expression;
  while (ts.isAsExpression(inner) || ts.isSatisfiesExpression(inner) || ts.isParenthesizedExpression(inner)) inner = inner.expression;
  if (!ts.isArrayLiteralExpression(inner) || inner.elements.some((element) => ts.isSpreadElement(element))) return undefined;
  return inner.elements.length;
}

/** `describe(` or `describe.skip(` / `.only(` / `.todo(` (not `regex.test(`). */
function calleeIs(ts: Ts, callee: TS.Expression, names: ReadonlySet<string>): boolean {
  if (ts.isIdentifier(callee)) return names.has(callee.text);
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    names.has(callee.expression.text) &&
    ['skip', 'only', 'todo'].includes(callee.name.text)
  );
}

function isFunction(ts: Ts, node: TS.Node): node is TS.ArrowFunction | TS.FunctionExpression | TS.FunctionDeclaration {
  return ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isFunctionDeclaration(node);
}

/** Whether a describe() name argument can produce `name`: 'exact' for a literal, 'pattern' for a template. */
function nameMatches(ts: Ts, argument: TS.Expression | undefined, name: string): 'exact' | 'pattern' | 'no' {
  if (!argument) return 'no';
  if (ts.isStringLiteral(argument) || ts.isNoSubstitutionTemplateLiteral(argument)) return argument.text === name ? 'exact' : 'no';
  if (ts.isTemplateExpression(argument)) {
    const parts = [argument.head.text, ...argument.templateSpans.map((span) => span.literal.text)];
    return templateMatches(parts, name) ? 'pattern' : 'no';
  }
  return 'no';
}

/** Literal parts in order with anything between them, anchored at both ends. */
function templateMatches(parts: readonly string[], name: string): boolean {
  const first = parts[0] ?? '';
  const last = parts.at(-1) ?? '';
  if (!name.startsWith(first) || !name.endsWith(last) || name.length < first.length + last.length) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (const part of parts.slice(1, -1)) {
    const found = name.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}
