/**
 * The CRM's staff pages in a real browser (Debian's chromium through
 * playwright-core) against the running server, its CSP on, as one visit:
 * sign in and land on the dashboard; search accounts with the keyboard
 * alone; create an account with an accented name (refused once); record a
 * charge, a refused amount and a payment typed with the keyboard alone, and
 * see the flash, the balance and the running balance in the history; edit,
 * close and reopen it; see it in the dashboard's recent activity and in the
 * public lookup; import a CSV with a bad row (all-or-nothing, then partial);
 * download the export; the remaining staff pages and the API docs. Then the
 * key pages again at 375×812, none wider than the screen.
 *
 * On every page: axe-core (WCAG 2.0/2.1 A and AA) in light and dark colour
 * schemes fails on a serious or critical violation and reports the rest; a
 * full-page screenshot in test-results/screenshots/crm-*.png; and no console
 * error (a CSP violation) or sub-resource that failed to load.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  assertAccessible,
  clearScreenshots,
  collectProblems,
  OWN_SERVER_BROWSER_SKIP,
  saveScreenshot,
  startVisit,
  type AccessibilityNotice,
  type BrowserVisit,
} from '../support/browser.js';
import type { TestUser } from '../support/staff.js';
import { addDays, dateIn } from '../../src/shared/dates.js';

const PHONE = { width: 375, height: 812 } as const;
const DESKTOP = { width: 1280, height: 900 } as const;

/** The account the visit creates: an accented name, found again without the accents. */
const ACCOUNT = { acctid: 'CRM-ZOE1', name: 'Zoë Ångström-Müller', phone: '+1 555 0100' } as const;

/** The import file: three good rows and a bad one (an email address that is not one) on line 4, the header being line 1. */
const IMPORT_CSV = [
  'acctid,name,email,phone,paid,due',
  'IMP-A1,Renée Façade,renee@example.com,,10.00,25.50',
  'IMP-A2,Bob Builder,,+1 555 0101,0.00,100.00',
  'IMP-BAD,Broken Row,not-an-email,,1.00,2.00',
  'IMP-A3,Çelik Ltd,,,5.00,5.00',
  '',
].join('\n');
const IMPORTED = ['IMP-A1', 'IMP-A2', 'IMP-A3'] as const;
/** The first invoice's date: 60 days before today (UTC, the server's default time zone). */
const INVOICE_DATE = addDays(dateIn('UTC'), -60);
/** Where recording an entry on that account lands. */
const ENTRY_RECORDED = /\/accounts\/CRM-ZOE1\?done=entry&entry=\d+$/;

/** The focused element, as a Tab press left it. */
interface Focused {
  readonly tag: string;
  readonly id: string;
  readonly text: string;
  readonly inHeader: boolean;
  /** It matches :focus-visible and draws an outline of 2 px or more. */
  readonly visible: boolean;
}

// Strings, not functions: the tests' tsconfig has no DOM types.
const FOCUSED = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return { tag: 'body', id: '', text: '', inHeader: false, visible: false };
  (window.__tabbed ??= []).push(el);
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    text: (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().replace(/\\s+/g, ' ').slice(0, 60),
    inHeader: el.closest('header') !== null,
    visible: el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
  };
})()`;
/** Each element Tab reached comes after the one before it in the document. */
const TABBED_IN_ORDER = `(() => {
  const tabbed = window.__tabbed ?? [];
  return tabbed.every((el, i) => i === 0 || (tabbed[i - 1].compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0);
})()`;
/**
 * The page's width and the screen's, and every element that sticks out on
 * the right other than inside a scrolling (or clipping) box, such as a table's
 * own scroller; and each scroller that does scroll, with whether a keyboard
 * can reach it (itself, or a control inside it).
 */
const WIDTHS = `(() => {
  const inner = ${PHONE.width};
  const clips = (el) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  // Clipped by an ancestor box: for an absolutely positioned element, only one at or above its containing block.
  const clipped = (el) => {
    const position = getComputedStyle(el).position;
    if (position === 'fixed') return false;
    let up = el.parentElement;
    if (position === 'absolute') while (up && up !== document.body && getComputedStyle(up).position === 'static') up = up.parentElement;
    if (!up || up === document.body) return false;
    return clips(up) || clipped(up);
  };
  const focusable = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const wide = [];
  const scrollers = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (scrolls(el) && el.scrollWidth > el.clientWidth + 1) scrollers.push({ name: name(el), focusable: el.tabIndex >= 0 || el.querySelector(focusable) !== null });
    const right = el.getBoundingClientRect().right;
    if (right <= inner + 0.5) continue;
    if (!clipped(el)) wide.push(name(el) + ' ends at ' + Math.round(right) + ' px');
  }
  return { page: document.documentElement.scrollWidth, inner: window.innerWidth, wide: wide.slice(0, 10), scrollers };
})()`;

// The admin is added to the server's own SQLite file, so this suite needs a server of its own.
describe('the CRM in a real browser, on a desktop and a phone', { skip: OWN_SERVER_BROWSER_SKIP }, () => {
  let visit: BrowserVisit;
  /** The visit's desktop page and its admin. */
  let page: Page;
  let admin: TestUser;
  let csvFile = '';
  let tmp = '';
  /** Console errors (a CSP violation, a script error) and sub-resources that did not load, on any page of the visit (visit.problems). */
  let problems: string[] = [];
  /** What axe-core found that did not fail (moderate and minor): reported. */
  const notices: AccessibilityNotice[] = [];
  const screenshots: string[] = [];

  const url = (path: string) => visit.url(path);

  /** Clicks a button (or a link) and waits for the page it leads to. */
  const follow = async (on: Page, role: 'button' | 'link', name: string, landsOn: string | RegExp) => {
    await Promise.all([on.waitForURL(typeof landsOn === 'string' ? url(landsOn) : landsOn), on.getByRole(role, { name, exact: true }).first().click()]);
  };
  const submit = (button: string, landsOn: string | RegExp, on: Page = page) => follow(on, 'button', button, landsOn);
  const navigate = (link: string, landsOn: string | RegExp, on: Page = page) =>
    Promise.all([on.waitForURL(typeof landsOn === 'string' ? url(landsOn) : landsOn), on.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link, exact: true }).click()]);

  const heading = async (on: Page = page) => ((await on.getByRole('heading', { level: 1 }).textContent()) ?? '').trim();
  const text = async (selector: string, on: Page = page) => ((await on.locator(selector).first().textContent()) ?? '').trim().replace(/\s+/g, ' ');

  /** At 375 px: nothing wider than the screen but what scrolls in its own box, and every such box reachable by keyboard (itself or a control inside). */
  async function assertFitsPhone(on: Page, where: string): Promise<void> {
    const widths = await on.evaluate<{ page: number; inner: number; wide: string[]; scrollers: { name: string; focusable: boolean }[] }>(WIDTHS);
    // A mobile browser widens the layout viewport to fit a page that is too wide (or has no viewport meta tag) and zooms out.
    const sticking = `sticking out past ${PHONE.width} px: ${widths.wide.join('; ') || 'nothing'}`;
    assert.equal(widths.inner, PHONE.width, `${where}: the layout viewport is ${widths.inner} px, not the phone's ${PHONE.width}; ${sticking}`);
    assert.ok(widths.page <= widths.inner, `${where} scrolls sideways: ${widths.page} px wide on a ${widths.inner} px screen; ${sticking}`);
    const unreachable = widths.scrollers.filter((scroller) => !scroller.focusable).map((scroller) => scroller.name);
    assert.deepEqual(unreachable, [], `${where}: a box that scrolls sideways which a keyboard cannot reach`);
  }

  interface PageChecks {
    readonly device?: 'desktop' | 'phone';
  }

  /** The checks every page gets: a screenshot in each colour scheme, axe-core (serious and critical fail), and on a phone the width. */
  async function checkPage(on: Page, where: string, shot: string, { device = 'desktop' }: PageChecks = {}): Promise<void> {
    for (const colorScheme of ['light', 'dark'] as const) {
      await on.emulateMedia({ colorScheme });
      screenshots.push(await saveScreenshot(on, `crm-${device}-${shot}-${colorScheme}`));
    }
    await on.emulateMedia({ colorScheme: null });
    notices.push(...(await assertAccessible(on, `${where} (${device})`, { failOn: 'serious' })));
    if (device === 'phone') await assertFitsPhone(on, where);
  }

  /** Runs a page's checks and keeps going when they fail, so that one run names every page that fails; `failures` gets the messages. */
  async function checkAll(failures: string[], ...args: Parameters<typeof checkPage>): Promise<void> {
    try {
      await checkPage(...args);
    } catch (error) {
      if (!(error instanceof assert.AssertionError)) throw error;
      failures.push(error.message);
    }
  }

  /** Presses Tab from where focus is until `selector` has it; every stop on the way, in order. */
  async function tabTo(on: Page, selector: string, most = 40): Promise<Focused[]> {
    const stops: Focused[] = [];
    for (let i = 0; i < most; i++) {
      await on.keyboard.press('Tab');
      stops.push(await on.evaluate<Focused>(FOCUSED));
      if (await on.evaluate<boolean>(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return stops;
    }
    assert.fail(`${most} Tab presses did not reach ${selector}; they went: ${stops.map((stop) => `${stop.tag}#${stop.id} "${stop.text}"`).join(' → ')}`);
  }

  /** Every stop drew a visible focus indicator, and the stops follow the document's order. */
  async function assertFocusVisibleInOrder(on: Page, stops: readonly Focused[]): Promise<void> {
    const hidden = stops.filter((stop) => !stop.visible).map((stop) => `${stop.tag}#${stop.id} "${stop.text}"`);
    assert.deepEqual(hidden, [], 'focus without a visible indicator');
    assert.equal(await on.evaluate<boolean>(TABBED_IN_ORDER), true, 'Tab moved against the document order');
  }

  /** The rows of the table captioned `caption`: each row's header and cells. */
  const tableRows = (caption: string | RegExp, on: Page = page) => on.locator('table', { has: on.locator('caption', { hasText: caption }) }).locator('tbody tr');

  before(async () => {
    clearScreenshots('crm-');
    tmp = mkdtempSync(join(tmpdir(), 'crm-browser-'));
    csvFile = join(tmp, 'accounts.csv');
    writeFileSync(csvFile, IMPORT_CSV);
    // CRM_PUBLIC_LOOKUP=false in the environment puts the lookup behind sign-in here too; on (the default) otherwise.
    visit = await startVisit({
      role: 'admin',
      env: process.env.CRM_PUBLIC_LOOKUP === undefined ? {} : { CRM_PUBLIC_LOOKUP: process.env.CRM_PUBLIC_LOOKUP },
      context: { acceptDownloads: true, viewport: DESKTOP },
    });
    ({ page, user: admin, problems } = visit);
  });

  after(async () => {
    await visit?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  // The tests below are one visit, in order: each starts on the page the previous one left.

  test('signing in lands on the dashboard; the first Tab reaches the header, with its focus visible', async () => {
    await page.goto(url('/login'));
    await checkPage(page, '/login', 'login');
    await page.getByLabel('User name').fill(admin.username);
    await page.getByLabel('Password').fill(admin.password);
    await submit('Sign in', '/dashboard');
    assert.equal(await heading(), 'Dashboard');
    assert.equal(await text('.signed-in > span'), `Signed in as ${admin.username} (admin)`);
    await checkPage(page, '/dashboard', 'dashboard');

    // From the top of the page: the brand (or a skip link), then the navigation in its order, then sign-out.
    const stops = await tabTo(page, 'button', 12);
    assert.equal(stops[0]?.inHeader, true, `the first Tab went to ${JSON.stringify(stops[0])}, not the header's skip link, brand or navigation`);
    const nav = (await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).map((label) => label.trim());
    assert.deepEqual(
      stops.filter((stop) => nav.includes(stop.text)).map((stop) => stop.text),
      nav,
      'Tab visits the navigation links in their order',
    );
    assert.equal(stops.at(-1)?.text, 'Sign out');
    await assertFocusVisibleInOrder(page, stops);
  });

  test('searching accounts with the keyboard alone: results in a live region, then no results, then a refused search', async () => {
    await navigate('Accounts', '/accounts');
    assert.equal(await heading(), 'Accounts');
    await checkPage(page, '/accounts', 'accounts');

    // Focus starts at the top of the new page; Tab to the search box, type, Enter.
    const stops = await tabTo(page, '#q');
    await assertFocusVisibleInOrder(page, stops);
    await page.keyboard.type('acct1');
    await Promise.all([page.waitForURL(url('/accounts?q=acct1&filter=all&sort=acctid&dir=asc')), page.keyboard.press('Enter')]);
    const results = page.locator('section[aria-labelledby="results-heading"] [aria-live]');
    assert.equal(await results.getAttribute('aria-live'), 'polite');
    assert.deepEqual(await tableRows(/^Accounts matching “acct1”/).locator('th').allTextContents(), ['ACCT100']);
    assert.equal(await page.getByLabel('Account ID or name').inputValue(), 'acct1', 'the search box keeps what was typed');
    await checkPage(page, '/accounts?q=acct1', 'accounts-search');

    await page.getByLabel('Account ID or name').fill('nobody-by-this-name');
    await submit('Search', /\/accounts\?q=nobody-by-this-name/);
    assert.match(await text('tr.empty td'), /^No accounts match this search. Clear the search or create an account.$/);
    await checkPage(page, '/accounts with no results', 'accounts-empty');

    // A sort the page does not know: 400, the form again with its message, nothing searched.
    const refused = await page.goto(url('/accounts?q=acct&sort=sideways'));
    assert.equal(refused?.status(), 400);
    assert.match(await text('.error-summary'), /There is a problem/);
    assert.equal(await page.getByLabel('Sort by').getAttribute('aria-invalid'), 'true');
    assert.match(await text('[aria-live]'), /Nothing was searched/);
    await checkPage(page, '/accounts?sort=sideways (400)', 'accounts-400');
  });

  test('creating an account with an accented name: a refused id first, then the account page', async () => {
    await page.goto(url('/accounts'));
    await follow(page, 'link', 'New account', '/accounts/new');
    assert.equal(await heading(), 'New account');
    await checkPage(page, '/accounts/new', 'account-new');

    assert.equal(await page.getByLabel('Payment terms (days)').inputValue(), '30', 'the usual terms are filled in');
    await page.getByLabel('Account ID').fill('CRM ZOE1');
    await page.getByLabel('Name', { exact: true }).fill(ACCOUNT.name);
    await submit('Create account', '/accounts');
    assert.match(await text('.error-summary'), /There is a problem/);
    assert.equal(await page.getByLabel('Account ID').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), ACCOUNT.name, 'the name is kept as typed');
    await checkPage(page, '/accounts/new with a refused id', 'account-new-refused');

    await page.getByLabel('Account ID').fill(ACCOUNT.acctid.toLowerCase());
    await submit('Create account', `/accounts/${ACCOUNT.acctid}?done=created`);
    assert.equal(await heading(), `Account ${ACCOUNT.acctid}`);
    assert.equal(await text('.flash-success'), 'The account was created.');
    assert.equal(await text('.account-facts dt:text-is("Name") + dd'), ACCOUNT.name);
    assert.equal(await text('.account-facts dt:text-is("Payment terms") + dd'), 'Net 30 (invoices are due 30 days after their date)');
    assert.equal(await text('.tiles-account dt:text-is("Balance") + dd'), '0.00 USD');
    await checkPage(page, `/accounts/${ACCOUNT.acctid} (new)`, 'account-created');

    // Found again without its accents.
    await page.goto(url('/accounts?q=zoe+angstrom'));
    assert.deepEqual(await tableRows(/matching/).locator('th').allTextContents(), [ACCOUNT.acctid]);
  });

  test('recording entries: two invoices (one back-dated, now late), a refused amount, then a payment of 12.34 typed with the keyboard alone', async () => {
    await page.goto(url(`/accounts/${ACCOUNT.acctid}`));
    await page.getByLabel('Kind').selectOption('charge');
    await page.getByLabel('Amount (USD)').fill('30.00');
    await page.getByLabel('Memo').fill('Invoice 7');
    // Dated 60 days ago: due 30 days ago on the default terms, so it is late.
    await page.getByLabel('Date', { exact: true }).fill(INVOICE_DATE);
    await page.getByLabel('Reference').fill('INV-7');
    await submit('Record entry', ENTRY_RECORDED);
    assert.equal(await text('.flash-success'), 'Recorded a charge of 30.00 USD. The balance is now 30.00 USD.');
    await page.getByLabel('Kind').selectOption('charge');
    await page.getByLabel('Amount (USD)').fill('20.00');
    await page.getByLabel('Reference').fill('INV-8');
    await submit('Record entry', ENTRY_RECORDED);
    assert.equal(await text('.flash-success'), 'Recorded a charge of 20.00 USD. The balance is now 50.00 USD.');

    await page.getByLabel('Amount (USD)').fill('12.345');
    await submit('Record entry', `/accounts/${ACCOUNT.acctid}/entries`);
    assert.match(await text('.error-summary'), /at most two decimals/);
    assert.equal(await page.getByLabel('Amount (USD)').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Amount (USD)').inputValue(), '12.345', 'the amount is kept as typed');
    await checkPage(page, `/accounts/${ACCOUNT.acctid} with a refused amount`, 'account-entry-refused');

    // A fresh page; from the top, Tab to the form: Kind (Payment), Amount, Memo, then Enter.
    await page.goto(url(`/accounts/${ACCOUNT.acctid}`));
    const stops = await tabTo(page, '#kind');
    assert.equal(await page.getByLabel('Kind').inputValue(), 'payment');
    await page.keyboard.press('Tab');
    stops.push(await page.evaluate<Focused>(FOCUSED));
    await page.keyboard.type('12.34');
    await page.keyboard.press('Tab');
    stops.push(await page.evaluate<Focused>(FOCUSED));
    await page.keyboard.type('Cheque 1001');
    assert.deepEqual(stops.slice(-3).map((stop) => stop.id), ['kind', 'amount', 'memo']);
    await assertFocusVisibleInOrder(page, stops);
    await Promise.all([page.waitForURL(ENTRY_RECORDED), page.keyboard.press('Enter')]);

    assert.equal(await text('.flash-success'), 'Recorded a payment of 12.34 USD. The balance is now 37.66 USD.');
    assert.equal(await text('.tiles-account dt:text-is("Balance") + dd'), '37.66 USD');
    const history = tableRows('Ledger entries, newest first');
    // Kind, reference, amount, memo, allocation, balance after (leaving out who and the date).
    const cells = async (row: number) => {
      const [, kind, , reference, amount, memo, allocation, balance] = (await history.nth(row).locator('td').allTextContents()).map((cell) => cell.trim());
      return [kind, reference, amount, memo, allocation, balance];
    };
    // Oldest due first: the payment went to the late invoice, which stays partly open.
    assert.deepEqual(await cells(0), ['payment', '—', '12.34 USD', 'Cheque 1001', 'paid INV-7', '37.66 USD']);
    assert.deepEqual(await cells(2), ['charge', 'INV-7', '30.00 USD', 'Invoice 7', '17.66 USD open', '30.00 USD']);
    assert.equal(await history.count(), 3);
    const invoices = tableRows('Open invoices, oldest due first, then the latest paid');
    assert.deepEqual(
      (await invoices.nth(0).locator('th, td').allTextContents()).map((cell) => cell.trim()).filter((_, i) => i !== 1 && i !== 2),
      ['INV-7', '30.00', '17.66', '30 days late'],
    );
    assert.equal((await invoices.nth(1).locator('td').last().textContent())?.trim(), 'Open');
    await checkPage(page, `/accounts/${ACCOUNT.acctid} after a payment`, 'account-payment');
  });

  test('editing the details, closing and reopening the account', async () => {
    await follow(page, 'link', 'Edit details', `/accounts/${ACCOUNT.acctid}/edit`);
    assert.equal(await heading(), `Edit account ${ACCOUNT.acctid}`);
    await checkPage(page, `/accounts/${ACCOUNT.acctid}/edit`, 'account-edit');
    await page.getByLabel('Phone (optional)').fill(ACCOUNT.phone);
    await page.getByLabel('Payment terms (days)').fill('400');
    await submit('Save changes', `/accounts/${ACCOUNT.acctid}`);
    assert.equal(await text('#terms_days-error'), 'Please enter the payment terms as a whole number of days from 0 to 365, such as 30 (0 means due on receipt).');
    assert.equal(await page.getByLabel('Phone (optional)').inputValue(), ACCOUNT.phone, 'the phone is kept as typed');
    await checkPage(page, `/accounts/${ACCOUNT.acctid}/edit with refused terms`, 'account-edit-refused');
    await page.getByLabel('Payment terms (days)').fill('14');
    await submit('Save changes', `/accounts/${ACCOUNT.acctid}?done=updated`);
    assert.equal(await text('.account-facts dt:text-is("Phone") + dd'), ACCOUNT.phone);
    assert.equal(await text('.account-facts dt:text-is("Payment terms") + dd'), 'Net 14 (invoices are due 14 days after their date)');

    await submit('Close account', `/accounts/${ACCOUNT.acctid}?done=closed`);
    assert.match(await text('.account-facts dt:text-is("Status") + dd'), /^Closed since/);
    await checkPage(page, `/accounts/${ACCOUNT.acctid} closed`, 'account-closed');
    await submit('Reopen account', `/accounts/${ACCOUNT.acctid}?done=reopened`);
    assert.equal(await text('.account-facts dt:text-is("Status") + dd'), 'Open');
  });

  test("the dashboard's recent activity shows the payment", async () => {
    await navigate('Dashboard', '/dashboard');
    const latest = tableRows('Latest ledger entries, newest first').filter({ has: page.getByRole('link', { name: ACCOUNT.acctid, exact: true }) });
    assert.equal(await latest.count(), 3);
    const [account, kind, amount, balance] = (await latest.first().locator('td').allTextContents()).map((cell) => cell.trim());
    assert.deepEqual([account, kind, amount, balance], [`${ACCOUNT.acctid} ${ACCOUNT.name}`, 'Payment', '12.34 USD', '37.66 USD']);
    await checkPage(page, '/dashboard with the payment', 'dashboard-activity');
  });

  test('the balance lookup, without signing in, shows the new balance', async () => {
    const anonymous = await visit.browser.newContext({ ignoreHTTPSErrors: true, viewport: DESKTOP });
    try {
      const visitor = await anonymous.newPage();
      collectProblems(visitor, problems);
      await visitor.goto(url('/'));
      // With CRM_PUBLIC_LOOKUP=false the lookup is for staff: the signed-in page does it instead.
      const lookup = visitor.url().startsWith(url('/login')) ? page : visitor;
      if (lookup === page) await page.goto(url('/'));
      await checkPage(lookup, '/ (lookup)', 'lookup');
      await lookup.getByLabel('Enter account ID (e.g. ACCT100):').fill(ACCOUNT.acctid.toLowerCase());
      await submit('Submit', '/', lookup);
      assert.equal(await text('.result', lookup), 'Account balance: 37.66 USD');
      await checkPage(lookup, '/ with a balance', 'lookup-result');
    } finally {
      await anonymous.close();
    }
  });

  test('importing a CSV: a bad row stops the whole file, then "partial" imports the good rows', async () => {
    await navigate('Import / export', '/admin/import');
    assert.equal(await heading(), 'Import and export accounts');
    await checkPage(page, '/admin/import', 'import');

    await page.getByLabel('CSV or JSON file').setInputFiles(csvFile);
    await submit('Import', '/admin/import');
    assert.equal(await text('.flash-error'), 'Nothing was imported: 1 of 4 rows were rejected. Fix them and upload the file again, or choose to import the good rows.');
    assert.equal(await text('dt:text-is("Imported") + dd'), '0');
    const rejected = tableRows('Rejected rows');
    assert.equal(await rejected.count(), 1);
    assert.equal(await rejected.first().locator('th').textContent(), '4', 'the bad row is named by its line');
    assert.deepEqual(await rejected.first().locator('td').allTextContents(), ['IMP-BAD', 'email: Please enter an email address like name@example.com.']);
    assert.deepEqual(await visit.db.selectFrom('account').select('acctid').where('acctid', 'like', 'IMP-%').execute(), [], 'nothing was written');
    await checkPage(page, '/admin/import with a rejected row', 'import-rejected');

    await page.getByLabel('CSV or JSON file').setInputFiles(csvFile);
    await page.getByLabel('Import the good rows even if some are bad').check();
    await submit('Import', '/admin/import');
    assert.equal(await text('.flash-error'), '3 accounts were imported and 0 updated; 1 rows were rejected.');
    assert.equal(await text('dt:text-is("Imported") + dd'), '3');
    const written = await visit.db.selectFrom('account').select('acctid').where('acctid', 'like', 'IMP-%').orderBy('acctid').execute();
    assert.deepEqual(
      written.map((row) => row.acctid),
      [...IMPORTED],
    );
    await checkPage(page, '/admin/import with the good rows imported', 'import-partial');
  });

  test('the export downloads as CSV and JSON with the imported and the new accounts', async () => {
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    assert.match(csv.suggestedFilename(), /^accounts-\d{4}-\d\d-\d\d\.csv$/);
    const lines = readFileSync((await csv.path()) ?? '', 'utf8').split('\n');
    assert.equal(lines[0], 'acctid,name,email,phone,terms_days,paid,due,balance,status');
    // A phone number starting with + is written with a ' before it, so that a spreadsheet does not run it as a formula.
    for (const line of [
      'IMP-A1,Renée Façade,renee@example.com,,30,10.00,25.50,15.50,open',
      "IMP-A2,Bob Builder,,'+1 555 0101,30,0.00,100.00,100.00,open",
      'IMP-A3,Çelik Ltd,,,30,5.00,5.00,0.00,open',
      `${ACCOUNT.acctid},${ACCOUNT.name},,'${ACCOUNT.phone},14,12.34,50.00,37.66,open`,
    ]) {
      assert.ok(lines.includes(line), `the CSV has ${line}`);
    }
    assert.ok(!lines.some((line) => line.startsWith('IMP-BAD,')), 'the rejected row was not imported');

    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download JSON' }).click()]);
    const accounts = JSON.parse(readFileSync((await json.path()) ?? '', 'utf8')) as { acctid: string; name: string; balance: string }[];
    assert.deepEqual(
      accounts.filter((account) => account.acctid.startsWith('IMP-')).map(({ acctid, name, balance }) => ({ acctid, name, balance })),
      [
        { acctid: 'IMP-A1', name: 'Renée Façade', balance: '15.50' },
        { acctid: 'IMP-A2', name: 'Bob Builder', balance: '100.00' },
        { acctid: 'IMP-A3', name: 'Çelik Ltd', balance: '0.00' },
      ],
    );
  });

  test('my account, users and the audit log', async () => {
    await navigate('My account', '/me');
    assert.equal(await heading(), 'My account');
    await checkPage(page, '/me', 'me');

    await navigate('Users', '/admin/users');
    assert.equal(await heading(), 'Users');
    await checkPage(page, '/admin/users', 'users');

    await navigate('Audit log', '/admin/audit');
    assert.equal(await heading(), 'Audit log');
    assert.ok((await page.locator('tbody tr', { hasText: 'account.imported' }).count()) >= 1, 'the import is in the audit log');
    await checkPage(page, '/admin/audit', 'audit');

    // A page nobody registered keeps the staff layout for a signed-in user.
    assert.equal((await page.goto(url('/no-such-page')))?.status(), 404);
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard', exact: true }).count(), 1);
    await checkPage(page, '/no-such-page', 'not-found');
  });

  test('at 375×812 the key pages fit the screen, pass axe-core and work', async () => {
    const phone = await visit.browser.newContext({ ignoreHTTPSErrors: true, viewport: PHONE, isMobile: true, hasTouch: true });
    // Every page is checked, and the test fails at the end naming each that failed.
    const failures: string[] = [];
    try {
      const mobile = await phone.newPage();
      collectProblems(mobile, problems);

      await mobile.goto(url('/'));
      if (!mobile.url().startsWith(url('/login'))) {
        await mobile.getByLabel('Enter account ID (e.g. ACCT100):').fill(ACCOUNT.acctid);
        await submit('Submit', '/', mobile);
        assert.equal(await text('.result', mobile), 'Account balance: 37.66 USD');
        await checkAll(failures, mobile, '/ with a balance', 'lookup-result', { device: 'phone' });
        await mobile.goto(url('/login'));
      }
      await checkAll(failures, mobile, '/login', 'login', { device: 'phone' });
      await mobile.getByLabel('User name').fill(admin.username);
      await mobile.getByLabel('Password').fill(admin.password);
      await submit('Sign in', '/dashboard', mobile);
      await checkAll(failures, mobile, '/dashboard', 'dashboard', { device: 'phone' });

      for (const [path, shot] of [
        ['/accounts?q=imp', 'accounts-search'],
        ['/accounts/new', 'account-new'],
        [`/accounts/${ACCOUNT.acctid}`, 'account'],
        [`/accounts/${ACCOUNT.acctid}/edit`, 'account-edit'],
        ['/receivables', 'receivables'],
        ['/admin/import', 'import'],
        ['/me', 'me'],
        ['/admin/users', 'users'],
        ['/admin/audit', 'audit'],
      ] as const) {
        const response = await mobile.goto(url(path));
        assert.equal(response?.status(), 200, path);
        await checkAll(failures, mobile, path, shot, { device: 'phone' });
      }

      assert.equal((await mobile.goto(url('/no-such-page')))?.status(), 404);
      await checkAll(failures, mobile, '/no-such-page', 'not-found', { device: 'phone' });
      // The menu is one button on a phone; opened, it lists the pages.
      await mobile.getByText('Menu', { exact: true }).click();
      assert.equal(await mobile.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts', exact: true }).isVisible(), true);
      await checkAll(failures, mobile, 'the menu, open', 'menu-open', { device: 'phone' });

      // The report's table of rejected rows, on a narrow screen (a dry run: nothing is written).
      await mobile.goto(url('/admin/import'));
      await mobile.getByLabel('CSV or JSON file').setInputFiles(csvFile);
      await mobile.getByLabel('Dry run: check and report only').check();
      await submit('Import', '/admin/import', mobile);
      assert.match(await text('.flash-error', mobile), /^Dry run, nothing was written/);
      await checkAll(failures, mobile, '/admin/import with a dry-run report', 'import-report', { device: 'phone' });
    } finally {
      await phone.close();
    }
    assert.equal(failures.length, 0, failures.join('\n\n'));
  });

  test('the API docs (Swagger UI, its contrast fixed by api-docs.ts) on a desktop and a phone: nothing serious, and it fits the phone', async () => {
    await page.goto(url('/api/docs'));
    await page.locator('.swagger-ui .info .title').waitFor();
    await page.locator('.swagger-ui .opblock').first().waitFor();
    assert.equal((await page.locator('.swagger-ui .info a[href$="openapi.json"]').textContent())?.trim(), '/api/openapi.json', 'the docs link the document at its one address');
    await checkPage(page, '/api/docs', 'api-docs');

    const phone = await visit.browser.newContext({ ignoreHTTPSErrors: true, viewport: PHONE, isMobile: true, hasTouch: true });
    try {
      const mobile = await phone.newPage();
      collectProblems(mobile, problems);
      await mobile.goto(url('/api/docs'));
      await mobile.locator('.swagger-ui .opblock').first().waitFor();
      await checkPage(mobile, '/api/docs', 'api-docs', { device: 'phone' });
    } finally {
      await phone.close();
    }
  });

  test('no page had a console error or a sub-resource that failed; what did not fail is reported', (t) => {
    // One line each (the full text, with every element, is what assertAccessible fails with).
    for (const { where, violations } of notices) {
      for (const v of violations) {
        const targets = v.nodes.map((node) => node.target);
        t.diagnostic(`axe-core: ${where}: ${v.id} [${v.impact ?? 'unknown'}] on ${targets.length} element(s): ${targets.slice(0, 3).join(', ')}${targets.length > 3 ? ', …' : ''}`);
      }
    }
    t.diagnostic(`${screenshots.length} screenshots in test-results/screenshots/ (crm-desktop-*.png, crm-phone-*.png)`);
    assert.deepEqual(problems, []);
  });
});
