/**
 * The reminder policy page (/admin/reminders) on each database, in a
 * database of its own (the policy is one for the whole installation): the
 * default levels, a change saved and audited, refusals beside their fields
 * with everything kept as typed and nothing saved.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/app.js';
import { DEFAULT_LEVELS } from '../../src/migrations/2026-12-06T1000-reminders.js';
import { readPolicy } from '../../src/modules/reminders/index.js';
import { testApp } from '../support/app.js';
import { openOwnDatabase } from '../support/own-database.js';
import { addUser, postStaffForm, signInWith } from '../support/staff.js';
import { TEST_DATABASES } from '../support/test-databases.js';

const ENV = { LOGIN_RATE_LIMIT: '0', API_RATE_LIMIT: '0' };
const assertHas = (body: string, text: string) => assert.ok(body.includes(text), `expected the page to contain ${text}`);

for (const target of TEST_DATABASES) {
  const own = await openOwnDatabase(target, 'reminder_policy');
  describe(`the reminder policy page on ${target.name}`, { skip: own.opened.skip ?? false }, () => {
    const db = own.opened.db!;
    let app: App;
    let cookie: string;
    before(async () => {
      // The database is kept between runs: start from the policy a new installation has.
      await db.deleteFrom('reminder_level').execute();
      await db.insertInto('reminder_level').values(DEFAULT_LEVELS.map((level) => ({ ...level, updated_at: Date.now() }))).execute();
      app = await testApp(db, ENV);
      const admin = await addUser(db, 'admin');
      cookie = (await signInWith(app, admin.username, admin.password)).cookie;
    });
    after(async () => {
      await app?.close();
      await own.cleanUp();
    });
    const save = (fields: Record<string, string>) => postStaffForm(app, cookie, '/admin/reminders', fields, '/admin/reminders');
    const defaults = {
      level_0_days: '7',
      level_0_subject: 'Payment reminder: {total_overdue} overdue',
      level_0_body: 'Dear {customer},\n\nPlease pay.',
      level_1_days: '30',
      level_1_subject: 'Second reminder',
      level_1_body: 'Dear {customer},\n\nPlease pay now.',
    };

    test('shows the three default levels (7, 30, 60 days) with their subjects and texts, an empty group to add one, and how reminders are chosen', async () => {
      const page = await app.inject({ method: 'GET', url: '/admin/reminders', headers: { cookie } });
      assert.equal(page.statusCode, 200);
      assertHas(page.body, '<h1>Reminder policy</h1>');
      assertHas(page.body, 'id="level_0_days" name="level_0_days" value="7"');
      assertHas(page.body, 'id="level_1_days" name="level_1_days" value="30"');
      assertHas(page.body, 'id="level_2_days" name="level_2_days" value="60"');
      assertHas(page.body, 'value="Final reminder: {total_overdue} overdue on account {acctid}"');
      assertHas(page.body, '<legend>Add a level</legend>');
      assertHas(page.body, 'id="level_3_days" name="level_3_days" value=""');
      assertHas(page.body, 'the highest level any of its invoices has reached and was not yet reminded of');
      assertHas(page.body, 'No e-mail is sent: SMTP_URL is not set.');
    });

    test('a change is saved in level order and audited with what the policy was; emptying a level removes it', async () => {
      const before = await readPolicy(db);
      const saved = await save({ ...defaults, level_2_days: '', level_2_subject: '', level_2_body: '', level_3_days: ' 21 ', level_3_subject: 'Still open: {invoice_count} invoices', level_3_body: 'Hello {customer}.' });
      assert.equal(saved.statusCode, 303, saved.body);
      assert.equal(saved.headers.location, '/admin/reminders?done=saved');
      assert.deepEqual(
        (await readPolicy(db)).map((level) => [level.daysLate, level.subject]),
        [
          [7, 'Payment reminder: {total_overdue} overdue'],
          [21, 'Still open: {invoice_count} invoices'],
          [30, 'Second reminder'],
        ],
      );
      const shown = await app.inject({ method: 'GET', url: '/admin/reminders?done=saved', headers: { cookie } });
      assertHas(shown.body, 'The reminder policy was saved. It applies from the next run.');
      const audit = await db.selectFrom('audit_event').select(['action', 'before_json', 'after_json']).where('action', '=', 'reminders.policy.updated').orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.deepEqual((JSON.parse(audit.before_json ?? '{}') as { levels: unknown }).levels, before);
      assert.equal((JSON.parse(audit.after_json ?? '{}') as { levels: unknown[] }).levels.length, 3);
    });

    test('refusals: days not a number or repeated, an unknown placeholder, an empty subject; shown beside each field, nothing saved', async () => {
      const before = await readPolicy(db);
      const refused = await save({
        ...defaults,
        level_0_days: 'soon',
        level_1_subject: '',
        level_2_days: '30',
        level_2_subject: 'Hi {name}',
        level_2_body: 'x',
      });
      assert.equal(refused.statusCode, 400);
      assertHas(refused.body, '<p class="field-error" id="level_0_days-error">Level 1: Please enter the days past due as a whole number from 1 to 3650, such as 7.</p>');
      assertHas(refused.body, '<p class="field-error" id="level_1_subject-error">Level 2: Please enter the subject of the message.</p>');
      assertHas(refused.body, '<p class="field-error" id="level_2_subject-error">Level 3: The subject names {name}, which is not filled in: use {customer}, {acctid}, {total_overdue}, {invoice_count}.</p>');
      assertHas(refused.body, 'id="level_0_days" name="level_0_days" value="soon"');
      assertHas(refused.body, '<a href="#level_0_days">');
      const repeated = await save({ ...defaults, level_2_days: '30', level_2_subject: 'Again', level_2_body: 'z' });
      assert.equal(repeated.statusCode, 400);
      assertHas(repeated.body, 'Level 3: Level 2 is already at 30 days: each level needs its own number of days.');
      const none = await save({});
      assert.equal(none.statusCode, 400);
      assertHas(none.body, 'Keep at least one level');
      assert.deepEqual(await readPolicy(db), before, 'nothing saved');
    });
  });
}
