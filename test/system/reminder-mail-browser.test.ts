/**
 * A reminder's and a statement e-mail's HTML part as a mail client shows it:
 * rendered in Chromium at 640 px (desktop client) and 375 px (phone) and
 * saved with the test screenshots (reminder-mail-*.png, statement-mail-*.png);
 * every value escaped, nothing cut off sideways.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { reminderMessage, statementMessage, type AccountToRemind } from '../../src/modules/reminders/index.js';
import { cents } from '../../src/shared/money.js';
import { CHROMIUM_MISSING, launchBrowser, SCREENSHOT_DIR } from '../support/browser.js';

const company = { name: 'Globomantics Ltd', addressLines: ['1 Main Street', 'Springfield, IL 62701', 'USA'] };
const linkFor = (acctid: string) => `https://crm.example.com/s/v1.${Buffer.from(acctid).toString('base64url')}.signature`;
const level = {
  daysLate: 30,
  subject: 'Second reminder: {total_overdue} overdue on account {acctid}',
  body: 'Dear {customer},\n\nWe wrote to you about the invoices below, which are now more than 30 days past due, {total_overdue} in all. Please arrange payment, or tell us if something is wrong with them.\n\nIf you have paid in the last few days, thank you, and please disregard this message.',
};
const account: AccountToRemind = {
  acctid: 'ACCT100',
  name: 'Zoë Ñúñez <Trading & Co>',
  email: 'accounts@example.com',
  level,
  totalOverdueCents: cents(12_462_331_564),
  invoices: [
    { chargeId: 41, reference: 'INV-2026-0041', dueOn: '2026-09-30', openCents: cents(12_462_000_000), daysLate: 66, reachedDays: 60, needsReminder: true },
    { chargeId: 57, reference: null, dueOn: '2026-10-31', openCents: cents(331_564), daysLate: 35, reachedDays: 30, needsReminder: true },
  ],
};

describe('reminder and statement e-mails in a browser', { skip: CHROMIUM_MISSING }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
  });
  after(async () => browser?.close());

  const mails = [
    ['reminder-mail', reminderMessage(account, { company, linkFor }).html],
    ['statement-mail', statementMessage({ acctid: 'ACCT100', name: account.name, email: 'accounts@example.com' }, { from: '2026-11-01', to: '2026-11-30' }, cents(12_462_331_564), { company, linkFor }).html],
  ] as const;

  for (const [name, markup] of mails) {
    test(`${name}: the HTML part renders with every value escaped and fits 640 and 375 px`, async () => {
      for (const width of [640, 375]) {
        const page = await browser.newPage({ viewport: { width, height: 800 }, javaScriptEnabled: false });
        await page.setContent(markup);
        // The name as text, never as markup: the browser shows the < and & the customer typed.
        assert.ok((await page.locator('body').innerText()).includes('Dear Zoë Ñúñez <Trading & Co>,'), 'the name escaped and shown as typed');
        assert.ok(await page.locator('text=Globomantics Ltd').isVisible(), 'signed by the company');
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${width}.png`), fullPage: true });
        assert.ok(overflow <= 0, `${name} at ${width} px scrolls sideways by ${overflow} px`);
        await page.close();
      }
    });
  }
});
