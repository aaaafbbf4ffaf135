/**
 * Shared pieces of the real-browser suites (test/system/*-browser.test.ts):
 * the chromium they drive through playwright-core and why they skip without
 * it, a visit (a server of the suite's own, a user in it, chromium with a
 * page) and its sign-in, axe-core run inside the page as a visitor gets it,
 * the console and network problems a page had, and full-page screenshots
 * under test-results/screenshots/ (git-ignored; CI uploads the folder as the
 * test job's artifact).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ImpactValue, Result, RunOptions } from 'axe-core';
import type { Kysely } from 'kysely';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import type { Role } from '../../src/modules/staff/roles.js';
import type { Database } from '../../src/schema.js';
import { serverDatabase } from '../attacks/support.js';
import { ROOT } from './paths.js';
import { OWN_SERVER_SKIP, startServer, type ServerProcess } from './server-process.js';
import { addUser, type TestUser } from './staff.js';

/** Debian's chromium here; CI runners with Google Chrome set CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why the browser suites cannot run here, or false. The reason ends with
 * '; to run: COMMAND' (test/support/tools.ts skipReason), which the not-run
 * reporter prints. Under CI=true a missing browser is an error, not a skip.
 */
export const CHROMIUM_MISSING: string | false = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed; to run: apt-get install -y chromium`;
if (CHROMIUM_MISSING && process.env.CI === 'true') throw new Error(`${CHROMIUM_MISSING}; CI=true requires the browser tests`);

/**
 * Why a suite that adds to the server's own SQLite file (a user, accounts)
 * cannot run here, or false: it needs chromium and a server of its own.
 */
export const OWN_SERVER_BROWSER_SKIP: string | false = CHROMIUM_MISSING || OWN_SERVER_SKIP;

/** Headless chromium as every browser suite starts it. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface VisitOptions {
  /** The role of the user added for the visit to sign in as. */
  readonly role: Role;
  /** The server's environment, over startServer's own. */
  readonly env?: Readonly<Record<string, string>>;
  /** The page's browser context (its viewport, downloads); it always accepts the server's self-signed certificate. */
  readonly context?: BrowserContextOptions;
}

/** One suite's visit: started in its `before`, closed in its `after`. */
export interface BrowserVisit {
  /** The suite's own server: the suite adds to its SQLite file. */
  readonly server: ServerProcess;
  /** That server's database. */
  readonly db: Kysely<Database>;
  /** A user of the role asked for, with their password. */
  readonly user: TestUser;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** The page's console errors and sub-resources that did not load (collectProblems); a suite adds its other pages' with collectProblems(other, visit.problems). */
  readonly problems: string[];
  /** The server's address for a path. */
  readonly url: (path: string) => string;
  /** Signs the user in on the sign-in page (with `next`, the page to go back to) and waits for the page it lands on: `next`, or the dashboard. */
  readonly signIn: (next?: string) => Promise<void>;
  /** Closes the browser and the database, stops the server and removes its files. */
  readonly close: () => Promise<void>;
}

/** Starts a visit: a server of its own, a user of `role` in its database, and chromium with a page whose problems are collected. */
export async function startVisit({ role, env = {}, context: contextOptions = {} }: VisitOptions): Promise<BrowserVisit> {
  const server = await startServer(env);
  let db: Kysely<Database> | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await db?.destroy();
    await server.cleanup();
  };
  try {
    db = await serverDatabase(server);
    const user = await addUser(db, role);
    browser = await launchBrowser();
    const context = await browser.newContext({ ignoreHTTPSErrors: true, ...contextOptions });
    const page = await context.newPage();
    const problems = collectProblems(page);
    const url = (path: string) => `${server.baseUrl}${path}`;
    const signIn = async (next?: string) => {
      await page.goto(url(next === undefined ? '/login' : `/login?next=${encodeURIComponent(next)}`));
      await page.getByLabel('User name').fill(user.username);
      await page.getByLabel('Password').fill(user.password);
      await Promise.all([page.waitForURL(url(next ?? '/dashboard')), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    };
    return { server, db, user, browser, context, page, problems, url, signIn, close };
  } catch (error) {
    // What failed is the error to see, not a cleanup that failed after it.
    await close().catch(() => undefined);
    throw error;
  }
}

/**
 * axe-core's browser build. The pages' CSP (script-src 'none') blocks
 * page.addScriptTag, and bypassCSP would check a page the CSP no longer
 * governs; page.evaluate runs through the DevTools protocol, which the CSP
 * does not restrict, so the page is checked exactly as a visitor gets it.
 */
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export const AXE_OPTIONS: RunOptions = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] };

export type Violation = Pick<Result, 'id' | 'impact' | 'help' | 'helpUrl'> & {
  readonly nodes: readonly { readonly target: string; readonly html: string; readonly summary: string }[];
};

/** Each violation: rule, impact, help and link, then every element at fault with what is wrong with it. */
export function describeViolations(where: string, violations: readonly Violation[]): string {
  const lines = [`axe-core found ${violations.length} violation(s) on ${where}:`];
  for (const v of violations) {
    lines.push(`- ${v.id} [${v.impact ?? 'unknown impact'}] ${v.help} (${v.helpUrl})`);
    for (const node of v.nodes) lines.push(`    at ${node.target}: ${node.html}`, ...node.summary.split('\n').map((line) => `      ${line}`));
  }
  return lines.join('\n');
}

const IMPACTS: readonly ImpactValue[] = ['minor', 'moderate', 'serious', 'critical'];

/** A violation at or above `failOn` (one axe-core left unrated counts as failing). */
function fails(violation: Violation, failOn: ImpactValue): boolean {
  return violation.impact == null || IMPACTS.indexOf(violation.impact) >= IMPACTS.indexOf(failOn);
}

export interface AccessibilityOptions {
  /** The lowest impact that fails: 'minor' (the default) fails on every violation, 'serious' on serious and critical ones only. */
  readonly failOn?: ImpactValue;
  /**
   * Rules (axe-core ids) known to fail on this page for a reason the project
   * cannot fix there (third-party markup), each with that reason: reported
   * with the rest, never failed. Any other rule still fails.
   */
  readonly known?: Readonly<Record<string, string>>;
}

/** What axe-core found below the failing impact on one page in one colour scheme (the ones that fail are in the assertion message). */
export interface AccessibilityNotice {
  readonly where: string;
  readonly violations: readonly Violation[];
}

/**
 * Runs axe-core on the page as it is now, in the light and the dark colour
 * scheme, and fails with everything it found in the first scheme that has a
 * violation at or above `failOn` (other than a `known` one). Returns what it
 * found that did not fail, for the caller to report.
 */
export async function assertAccessible(page: Page, where: string, { failOn = 'minor', known = {} }: AccessibilityOptions = {}): Promise<AccessibilityNotice[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axeSource);
  const notices: AccessibilityNotice[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const violations: Violation[] = await page.evaluate(async (options) => {
      const { axe } = globalThis as unknown as { axe: { run(options: RunOptions): Promise<{ violations: Result[] }> } };
      const results = await axe.run(options);
      return results.violations.map(({ id, impact, help, helpUrl, nodes }) => ({
        id,
        impact,
        help,
        helpUrl,
        nodes: nodes.map((node) => ({ target: node.target.join(' '), html: node.html, summary: node.failureSummary ?? '' })),
      }));
    }, AXE_OPTIONS);
    const scheme = `${where} (${colorScheme})`;
    const failing = violations.filter((violation) => fails(violation, failOn) && !Object.hasOwn(known, violation.id));
    assert.equal(failing.length, 0, describeViolations(scheme, violations));
    if (violations.length > 0) notices.push({ where: scheme, violations });
  }
  await page.emulateMedia({ colorScheme: null });
  return notices;
}

/**
 * Collects into `problems` what went wrong on the page beyond its own status:
 * console errors (a CSP violation, a script error) and sub-resources (the
 * CSS, the icon, Swagger UI's files) that did not load. Chromium logs every
 * 4xx page as a failed load; the documents' own statuses are the tests' to
 * check, so those lines are left out and sub-resources are checked by status.
 */
export function collectProblems(page: Page, problems: string[] = []): string[] {
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource:')) problems.push(message.text());
  });
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'document' && response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  // A link that downloads a file ends its navigation as net::ERR_ABORTED (before or after the download event): the download is the test's to check.
  const downloaded = new Set<string>();
  const aborted = (url: string) => `net::ERR_ABORTED ${url}`;
  page.on('download', (download) => {
    downloaded.add(download.url());
    const index = problems.indexOf(aborted(download.url()));
    if (index !== -1) problems.splice(index, 1);
  });
  page.on('requestfailed', (request) => {
    const problem = `${request.failure()?.errorText ?? 'failed'} ${request.url()}`;
    if (!(problem === aborted(request.url()) && downloaded.has(request.url()))) problems.push(problem);
  });
  return problems;
}

/** Where screenshots go: the test output folder, git-ignored. */
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');

/** A file name from a free-text name: letters, digits, dot, dash and underscore only. */
function screenshotFile(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  if (safe === '') throw new Error(`no usable file name in ${JSON.stringify(name)}`);
  return join(SCREENSHOT_DIR, `${safe}.png`);
}

/** A full-page PNG of the page as it is, at test-results/screenshots/NAME.png; returns the file's path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = screenshotFile(name);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}

/** Removes the screenshots an earlier run of a suite left (names starting with `prefix`). */
export function clearScreenshots(prefix: string): void {
  if (!existsSync(SCREENSHOT_DIR)) return;
  for (const file of readdirSync(SCREENSHOT_DIR)) if (file.startsWith(prefix) && file.endsWith('.png')) rmSync(join(SCREENSHOT_DIR, file), { force: true });
}
