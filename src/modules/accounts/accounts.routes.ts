import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { retryOnDeadlock } from '../../platform/db/deadlock.js';
import type { FlashMessage } from '../../platform/views/components.js';
import type { SafeHtml } from '../../platform/views/html.js';
import { FieldsError } from '../../shared/errors.js';
import { dateIn, isIsoDate, type IsoDate } from '../../shared/dates.js';
import { cents, InvalidAmountError, parseAmount } from '../../shared/money.js';
import type { RequestReads } from '../../platform/http/read-routing.js';
import type { Database } from '../../schema.js';
import { accountInvoices, brokenEntryRules, ENTRY_KINDS, listEntries, MEMO_MAX, REFERENCE_MAX, settlementsOf, type EntryRule, type NewEntry } from '../ledger/index.js';
import { businessDate } from '../../platform/views/format.js';
import { serviceProblem, showAgainWhenInvalid, typedText, type FormProblem } from '../../platform/views/form-problems.js';
import { actorOf, can, ownKey, principalOf } from '../staff/index.js';
import { HTML, staffPage, type NavEntry } from '../../platform/views/staff-page.js';
import { accountChanges, acctidField, NOTES_MAX, newAccountFields, remindersText, termsDaysText } from './account-fields.js';
import { accountSearchQuery, PAGE_SIZE_DEFAULT, searchAccounts, type AccountSearch } from './account-search.js';
import { DEFAULT_TERMS_DAYS, normalizeAcctId } from './account.js';
import {
  ACCOUNT_DONE,
  accountPageBody,
  accountTitle,
  entryRecordedMessage,
  HISTORY_PAGE_SIZE,
  OPEN_INVOICES_SHOWN,
  PAID_INVOICES_SHOWN,
  type AccountPageView,
  type EntryFormValues,
} from './account-page.views.js';
import type { AccountDetails } from './account.js';
import type { AccountPageSection } from './account-page-sections.js';
import { requireAccount } from './account.repository.js';
import { setAccountClosed, updateAccount } from './accounts.service.js';
import { createAccountUseCase } from './create-account.use-case.js';
import { recordEntryUseCase } from './record-entry.use-case.js';
import { accountPath, ACCOUNTS_PATH } from './account-path.js';
import { multiLineText } from '../../platform/http/text-hygiene.js';
import {
  accountFormBody,
  accountListBody,
  ACCOUNTS_TITLE,
  editAccountTitle,
  EMPTY_ACCOUNT_FORM,
  NEW_ACCOUNT_PATH,
  NEW_ACCOUNT_TITLE,
  type AccountFormValues,
  type AccountListView,
  type AccountSearchFields,
} from './accounts.views.js';

const READ = { access: 'accounts:read' } as const;
const WRITE = { access: 'accounts:write' } as const;
const RECORD = { access: 'payments:record' } as const;

// ---------------------------------------------------------------- schemas

/** The list's query: the API's rules, with a message a person understands for a parameter it does not take. */
const listQuery = z.strictObject(accountSearchQuery.shape, {
  error: (issue) =>
    issue.code === 'unrecognized_keys'
      ? `This page does not understand ${issue.keys.map((key) => `“${key}”`).join(', ')} in its address. Use the search form, or start again from the first page.`
      : undefined,
});

const acctidParams = z.object({ acctid: acctidField });

const positiveId = (rule: string) =>
  z.coerce
    .number({ error: rule })
    .int({ error: rule })
    .positive({ error: rule })
    .max(Number.MAX_SAFE_INTEGER - 1, { error: rule })
    .optional();

const accountQuery = z.object({
  done: z.string({ error: 'This page takes no such query.' }).optional(),
  entry: positiveId('This link names no entry: an entry id is a positive whole number.'),
  before: positiveId('The “before” position must be an entry id (a positive whole number): start again from the newest entries.'),
});

// A form sends payment terms as typed text ("30"); the API takes a JSON integer. Left out (an older page): the default, or unchanged.
const newAccountForm = newAccountFields.extend({ terms_days: termsDaysText.optional(), reminders: remindersText.optional(), csrf_token: z.string().optional() });
const accountChangesForm = accountChanges.extend({ terms_days: termsDaysText.optional(), reminders: remindersText.optional(), csrf_token: z.string().optional() });

const AMOUNT_RULE = 'Please enter an amount like 12.34: digits, with at most two decimals.';

/** An amount as a person types it: the text (shown again when refused) and its cents. */
const amountText = z
  .string({ error: AMOUNT_RULE })
  .trim()
  .min(1, { error: 'Please enter an amount like 12.34.' })
  .max(20, { error: AMOUNT_RULE })
  .transform((text, context) => {
    try {
      return { text, cents: parseAmount(text) };
    } catch (error) {
      if (!(error instanceof InvalidAmountError)) throw error;
      context.addIssue({ code: 'custom', message: AMOUNT_RULE });
      return z.NEVER;
    }
  });

/** What the form's wording of a rule may mention: the entry's kind and today's date. */
interface FormWordingContext {
  readonly kind: string;
  readonly today: IsoDate;
}

const article = (kind: string) => (kind === 'adjustment' ? 'an adjustment' : `a ${kind}`);

/**
 * How the form words the ledger's entry rules for a person; a rule without
 * wording here is either the schema's own (a date that does not exist, the
 * reference's length) or reaches the ledger, whose message the page shows by
 * the amount.
 */
const FORM_WORDING: Partial<Record<EntryRule, (context: FormWordingContext) => string>> = {
  'amount-not-positive': ({ kind }) => `A ${kind} needs an amount above zero, like 12.34. To move the balance the other way, record an adjustment.`,
  'adjustment-without-memo': () => 'An adjustment needs a memo saying why.',
  'effective-in-future': ({ today }) => `The date cannot be in the future: today is ${businessDate(today)}.`,
  'due-before-effective': () => 'The due date cannot be before the date.',
  'due-not-on-charge': ({ kind }) => `Only a charge has a due date: leave it empty for ${article(kind)}.`,
  'allocations-not-on-credit': () => 'Only a payment or a credit (an adjustment below zero) pays an invoice: choose “Oldest due first” for a charge.',
};
/** The form's field for each field an entry rule names. */
const FORM_FIELD = { kind: 'kind', amount: 'amount', memo: 'memo', effectiveOn: 'effective_on', dueOn: 'due_on', reference: 'reference', allocations: 'apply_to' } as const;

const ENTRY_KEY_RULE = 'This form is out of date. Reload the page and record the entry again.';
const DATE_RULE = 'Please enter the date as a real day, like 2026-12-05.';
const DUE_RULE = 'Please enter the due date as a real day, like 2026-12-31, or leave it empty.';
const APPLY_RULE = 'Please choose an open invoice from the list, or “Oldest due first”.';

/** A date as the form sends it: '' when left empty, otherwise a real day. */
const formDate = (rule: string) =>
  z
    .string({ error: rule })
    .trim()
    .refine((text) => text === '' || isIsoDate(text), { error: rule })
    .default('');

/** The entry form; "today" (for the rule that refuses a future date) is the day in the business time zone when the form arrives. */
function entryFormSchema(timeZone: string) {
  return z
    .object(
      {
        kind: z.enum(ENTRY_KINDS, { error: 'Please choose what to record: a payment, a charge or an adjustment.' }),
        amount: amountText,
        memo: multiLineText(z.string({ error: 'The memo must be text.' }).max(MEMO_MAX, { error: `The memo can be at most ${MEMO_MAX} characters.` })).default(''),
        effective_on: formDate(DATE_RULE),
        due_on: formDate(DUE_RULE),
        reference: z
          .string({ error: 'The reference must be text.' })
          .trim()
          .max(REFERENCE_MAX, { error: `The reference can be at most ${REFERENCE_MAX} characters.` })
          .default(''),
        apply_to: z
          .string({ error: APPLY_RULE })
          .trim()
          .refine((text) => text === '' || /^[1-9]\d{0,14}$/.test(text), { error: APPLY_RULE })
          .default(''),
        entry_key: z
          .string({ error: ENTRY_KEY_RULE })
          .regex(/^[A-Za-z0-9-]{1,64}$/, { error: ENTRY_KEY_RULE })
          .optional(),
        csrf_token: z.string().optional(),
      },
      { error: 'Please fill in the entry form.' },
    )
    .superRefine((form, context) => {
      const today = dateIn(timeZone);
      for (const { rule, field } of brokenEntryRules(entryOf('', form), today)) {
        const wording = FORM_WORDING[rule];
        if (wording) context.addIssue({ code: 'custom', path: [FORM_FIELD[field]], message: wording({ kind: form.kind, today }) });
      }
    });
}

type EntryFormBody = z.output<ReturnType<typeof entryFormSchema>>;

/**
 * The entry a form asks for: fields left empty are left out (the ledger's
 * defaults: today, the account's terms). An invoice chosen takes the whole
 * amount, and the ledger checks it has that much open.
 */
function entryOf(acctid: string, form: Omit<EntryFormBody, 'entry_key'>): NewEntry {
  const { kind, amount, memo, effective_on: effectiveOn, due_on: dueOn, reference, apply_to: applyTo } = form;
  return {
    acctid,
    kind,
    amountCents: amount.cents,
    memo,
    ...(effectiveOn === '' ? {} : { effectiveOn }),
    ...(dueOn === '' ? {} : { dueOn }),
    ...(reference === '' ? {} : { reference }),
    ...(applyTo === '' ? {} : { allocations: [{ chargeId: Number(applyTo), amountCents: cents(Math.abs(amount.cents)) }] }),
  };
}

/** The entry form's fields as typed, from a body that may have failed its schema. */
function typedEntryForm(body: unknown): EntryFormValues {
  return {
    kind: typedText(body, 'kind', 20),
    amount: typedText(body, 'amount', 30),
    memo: typedText(body, 'memo', MEMO_MAX),
    effectiveOn: typedText(body, 'effective_on', 30),
    dueOn: typedText(body, 'due_on', 30),
    reference: typedText(body, 'reference', REFERENCE_MAX + 20),
    applyTo: typedText(body, 'apply_to', 20),
  };
}

/** Which field of the entry form each refusal from the ledger concerns. */
const ENTRY_REFUSALS = {
  INVALID_ENTRY: 'amount',
  ACCOUNT_CLOSED: 'kind',
  IDEMPOTENCY_KEY_REUSED: 'entry_key',
  // An invoice chosen that is not this account's, not open, or with less open than the amount.
  UNKNOWN_INVOICE: 'apply_to',
  NOT_AN_INVOICE: 'apply_to',
  INVOICE_NOT_OPEN_ENOUGH: 'apply_to',
} as const;

// ---------------------------------------------------------------- helpers

/** The list's address for a search (defaults left out), at `cursor` when given. */
function listHref(search: AccountSearch, cursor?: string): string {
  const params = new URLSearchParams();
  if (search.q !== undefined && search.q !== '') params.set('q', search.q);
  if (search.filter !== 'all') params.set('filter', search.filter);
  if (search.sort !== 'acctid') params.set('sort', search.sort);
  if (search.dir !== 'asc') params.set('dir', search.dir);
  if (search.limit !== PAGE_SIZE_DEFAULT) params.set('limit', String(search.limit));
  if (cursor !== undefined) params.set('cursor', cursor);
  return params.size === 0 ? ACCOUNTS_PATH : `${ACCOUNTS_PATH}?${params.toString()}`;
}

function formValues(account: AccountDetails): AccountFormValues {
  return { acctid: account.acctid, name: account.name, email: account.email ?? '', phone: account.phone ?? '', notes: account.notes, termsDays: String(account.termsDays), reminders: account.reminders ? 'on' : 'off' };
}

/** The account form's fields as typed, from a body that may have failed its schema. */
function typedAccountForm(body: unknown, acctid = typedText(body, 'acctid', 40)): AccountFormValues {
  return {
    acctid,
    name: typedText(body, 'name', 300),
    email: typedText(body, 'email', 300),
    phone: typedText(body, 'phone', 100),
    notes: typedText(body, 'notes', NOTES_MAX + 100),
    termsDays: typedText(body, 'terms_days', 20),
    reminders: typedText(body, 'reminders', 10),
  };
}

/** The id in a URL that already passed its schema (Fastify keeps the parsed value; normalised again to be sure). */
function acctidOf(request: FastifyRequest): string {
  const raw = (request.params as { acctid?: unknown }).acctid;
  const check = normalizeAcctId(typeof raw === 'string' ? raw : '');
  return check.ok ? check.acctid : '';
}

function problemsOf(error: FieldsError): FormProblem[] {
  return Object.entries(error.fields).map(([field, message]) => ({ field, message }));
}

const redirectTo = (reply: FastifyReply, acctid: string, done: string) => reply.redirect(`${accountPath(acctid)}?done=${done}`, 303);

type AccountExtras = Partial<Pick<AccountPageView, 'entryForm' | 'entryProblems'>> & { readonly before?: number; readonly flash?: readonly FlashMessage[] };


/** The staff navigation's link to these pages. */
export const ACCOUNTS_NAV: NavEntry = { href: ACCOUNTS_PATH, label: 'Accounts', access: 'accounts:read' };

/**
 * The staff account pages (server-rendered, in the staff scope): the list with
 * search, filters, sort and keyset pages; one account with its details and
 * history; create, edit, close and reopen (accounts:write); record a payment,
 * charge or adjustment (payments:record). Every change goes through the
 * accounts and ledger services, which write the audit row in the same
 * transaction. Forms follow post-redirect-get with a `?done=` flash; a refused
 * form shows the page again with each message beside its field.
 */
export interface AccountRoutesOptions {
  readonly db: Kysely<Database>;
  /** The list and search read here (they tolerate lag): a replica unless the viewer just wrote. One account's page reads the primary. */
  readonly reads: RequestReads<Database>;
  readonly timeZone: string;
  /** Other modules' sections of the account page, in order, after the statement. */
  readonly sections?: readonly AccountPageSection[];
}

export const accountRoutes: FastifyPluginAsyncZod<AccountRoutesOptions> = async (app, { db, reads, timeZone, sections = [] }) => {
  const createAccountOnce = createAccountUseCase({ db });
  const recordEntryOnce = recordEntryUseCase({ db, timeZone });
  const entryForm = entryFormSchema(timeZone);

  /** One whole transaction, run again if the database rolled it back as a deadlock victim (nothing of it remains). */
  const inTransaction = <T>(write: (trx: Transaction<Database>) => Promise<T>) => retryOnDeadlock(() => db.transaction().execute(write));

  const send = (request: FastifyRequest, reply: FastifyReply, status: number, title: string, body: SafeHtml, flash: readonly FlashMessage[] = []) =>
    reply.code(status).type(HTML).send(staffPage(request, reply, { title, body, flash, current: ACCOUNTS_PATH }));

  // ---------------------------------------------------------------- the list

  const showList = async (request: FastifyRequest, reply: FastifyReply, status: number, view: Omit<AccountListView, 'canCreate'>) =>
    send(request, reply, status, ACCOUNTS_TITLE, accountListBody({ ...view, canCreate: can(principalOf(request).role, 'accounts:write') }));

  // A refused search: the form again as typed, the message, and nothing looked up.
  const showRefusedSearch = async (request: FastifyRequest, reply: FastifyReply, problems: readonly FormProblem[]) => {
    const typed = (name: string, fallback: string) => typedText(request.query, name, 200) || fallback;
    const search: AccountSearchFields = { q: typed('q', ''), filter: typed('filter', 'all'), sort: typed('sort', 'acctid'), dir: typed('dir', 'asc') };
    return showList(request, reply, 400, { search, problems });
  };

  app.get(ACCOUNTS_PATH, { config: READ, schema: { querystring: listQuery }, errorHandler: showAgainWhenInvalid('querystring', showRefusedSearch) }, async (request, reply) => {
    const search = request.query;
    const fields: AccountSearchFields = { q: search.q ?? '', filter: search.filter, sort: search.sort, dir: search.dir };
    const firstHref = search.cursor === undefined ? undefined : listHref(search);
    let found: Awaited<ReturnType<typeof searchAccounts>>;
    try {
      found = await searchAccounts(await reads(request), search);
    } catch (error) {
      const problem = serviceProblem(error, { INVALID_CURSOR: 'cursor' });
      if (!problem) throw error;
      return showList(request, reply, problem.status, { search: fields, problems: [problem], ...(firstHref === undefined ? {} : { firstHref }) });
    }
    return showList(request, reply, 200, {
      search: fields,
      accounts: found.accounts,
      stoppedEarly: found.stoppedEarly,
      ...(found.nextCursor === null ? {} : { nextHref: listHref(search, found.nextCursor) }),
      ...(firstHref === undefined ? {} : { firstHref }),
    });
  });

  // ---------------------------------------------------------------- create

  const showNewForm = async (request: FastifyRequest, reply: FastifyReply, status: number, values: AccountFormValues, problems: readonly FormProblem[] = []) =>
    send(request, reply, status, NEW_ACCOUNT_TITLE, accountFormBody({ mode: 'new', values, problems, csrfToken: reply.formToken() }));

  app.get(NEW_ACCOUNT_PATH, { config: WRITE }, async (request, reply) => showNewForm(request, reply, 200, EMPTY_ACCOUNT_FORM));

  app.post(
    ACCOUNTS_PATH,
    {
      config: WRITE,
      schema: { body: newAccountForm },
      errorHandler: showAgainWhenInvalid('body', (request, reply, problems) => showNewForm(request, reply, 400, typedAccountForm(request.body), problems)),
    },
    async (request, reply) => {
      const { acctid, name, email, phone, notes, terms_days, reminders } = request.body;
      try {
        await createAccountOnce({ actor: actorOf(request), account: { acctid, name, email, phone, notes, terms_days, reminders } });
      } catch (error) {
        if (!(error instanceof FieldsError)) throw error;
        // What was typed, as typed (the id as it will be stored).
        const values = { acctid, name, email: email ?? '', phone: phone ?? '', notes: notes ?? '', termsDays: String(terms_days ?? DEFAULT_TERMS_DAYS), reminders: reminders === false ? 'off' : 'on' };
        return showNewForm(request, reply, error.statusCode, values, problemsOf(error));
      }
      return redirectTo(reply, acctid, 'created');
    },
  );

  // ---------------------------------------------------------------- one account

  async function showAccount(request: FastifyRequest, reply: FastifyReply, status: number, acctid: string, { before, flash = [], ...extras }: AccountExtras = {}) {
    const account = await requireAccount(db, acctid);
    const { entries, hasMore } = await listEntries(db, acctid, { before, limit: HISTORY_PAGE_SIZE });
    const settlements = await settlementsOf(db, entries);
    const invoices = await accountInvoices(db, acctid, { openLimit: OPEN_INVOICES_SHOWN, paidLimit: PAID_INVOICES_SHOWN });
    const role = principalOf(request).role;
    const path = accountPath(acctid);
    const last = entries.at(-1);
    const csrfToken = reply.formToken();
    const shown = await Promise.all(sections.map((section) => section.render({ account, may: (permission) => can(role, permission), csrfToken })));
    const view: AccountPageView = {
      account,
      entries,
      settlements,
      invoices,
      today: dateIn(timeZone),
      ...(hasMore && last ? { olderHref: `${path}?before=${last.id}` } : {}),
      ...(before === undefined ? {} : { newestHref: path }),
      csrfToken,
      canRecord: can(role, 'payments:record'),
      canWrite: can(role, 'accounts:write'),
      entryKey: randomUUID(),
      sections: shown.filter((section) => section !== null),
      ...extras,
    };
    return send(request, reply, status, accountTitle(acctid), accountPageBody(view), flash);
  }

  async function doneFlash(acctid: string, done: string | undefined, entryId: number | undefined): Promise<FlashMessage[]> {
    if (done === 'entry' && entryId !== undefined) {
      // Built from the stored entry (this account's only): nothing from the address is shown.
      const [entry] = (await listEntries(db, acctid, { before: entryId + 1, limit: 1 })).entries;
      return entry?.id === entryId ? [{ kind: 'success', text: entryRecordedMessage(entry) }] : [];
    }
    if (done === undefined) return [];
    if (Object.hasOwn(ACCOUNT_DONE, done)) return [{ kind: 'success', text: ACCOUNT_DONE[done as keyof typeof ACCOUNT_DONE] }];
    const text = sections.map((section) => (section.done && Object.hasOwn(section.done, done) ? section.done[done] : undefined)).find((found) => found !== undefined);
    return text === undefined ? [] : [{ kind: 'success', text }];
  }

  app.get(`${ACCOUNTS_PATH}/:acctid`, { config: READ, schema: { params: acctidParams, querystring: accountQuery } }, async (request, reply) => {
    const { acctid } = request.params;
    const { done, entry, before } = request.query;
    return showAccount(request, reply, 200, acctid, { ...(before === undefined ? {} : { before }), flash: await doneFlash(acctid, done, entry) });
  });

  app.post(
    `${ACCOUNTS_PATH}/:acctid/entries`,
    {
      config: RECORD,
      schema: { params: acctidParams, body: entryForm },
      errorHandler: showAgainWhenInvalid('body', (request, reply, problems) =>
        showAccount(request, reply, 400, acctidOf(request), {
          entryProblems: problems,
          entryForm: typedEntryForm(request.body),
        }),
      ),
    },
    async (request, reply) => {
      const { acctid } = request.params;
      const { entry_key: key, ...form } = request.body;
      let entryId: number;
      try {
        // The same form sent twice (a double click, a resend) records one entry and answers the same.
        const { value } = await recordEntryOnce({
          actor: actorOf(request),
          entry: entryOf(acctid, form),
          once: ownKey(request, key === undefined ? undefined : `form:${key}`),
        });
        entryId = value.entry.id;
      } catch (error) {
        const problem = serviceProblem(error, ENTRY_REFUSALS);
        if (!problem) throw error;
        const shown =
          problem.field === 'entry_key'
            ? { ...problem, field: 'amount', message: 'This form was already used for another entry. Check the history below; the form is ready for a new entry.' }
            : problem;
        const typed = { kind: form.kind, amount: form.amount.text, memo: form.memo, effectiveOn: form.effective_on, dueOn: form.due_on, reference: form.reference, applyTo: form.apply_to };
        return showAccount(request, reply, problem.status, acctid, { entryProblems: [shown], entryForm: typed });
      }
      return reply.redirect(`${accountPath(acctid)}?done=entry&entry=${entryId}`, 303);
    },
  );

  // ---------------------------------------------------------------- edit, close, reopen

  const showEditForm = async (request: FastifyRequest, reply: FastifyReply, status: number, values: AccountFormValues, problems: readonly FormProblem[] = []) =>
    send(request, reply, status, editAccountTitle(values.acctid), accountFormBody({ mode: 'edit', values, problems, csrfToken: reply.formToken() }));

  app.get(`${ACCOUNTS_PATH}/:acctid/edit`, { config: WRITE, schema: { params: acctidParams } }, async (request, reply) =>
    showEditForm(request, reply, 200, formValues(await requireAccount(db, request.params.acctid))),
  );

  app.post(
    `${ACCOUNTS_PATH}/:acctid`,
    {
      config: WRITE,
      schema: { params: acctidParams, body: accountChangesForm },
      errorHandler: showAgainWhenInvalid('body', async (request, reply, problems) => {
        const acctid = acctidOf(request);
        // An account that does not exist is a 404, not a form to correct.
        await requireAccount(db, acctid);
        return showEditForm(request, reply, 400, typedAccountForm(request.body, acctid), problems);
      }),
    },
    async (request, reply) => {
      const { acctid } = request.params;
      const { name, email, phone, notes, terms_days, reminders } = request.body;
      await inTransaction((trx) => updateAccount(trx, actorOf(request), acctid, { name, email, phone, notes, terms_days, reminders }));
      return redirectTo(reply, acctid, 'updated');
    },
  );

  for (const [action, closed] of [
    ['close', true],
    ['reopen', false],
  ] as const) {
    app.post(`${ACCOUNTS_PATH}/:acctid/${action}`, { config: WRITE, schema: { params: acctidParams } }, async (request, reply) => {
      const { acctid } = request.params;
      try {
        await inTransaction((trx) => setAccountClosed(trx, actorOf(request), acctid, closed));
      } catch (error) {
        const problem = serviceProblem(error, { ACCOUNT_ALREADY_CLOSED: null, ACCOUNT_ALREADY_OPEN: null });
        if (!problem) throw error;
        return showAccount(request, reply, problem.status, acctid, { flash: [{ kind: 'error', text: problem.message }] });
      }
      return redirectTo(reply, acctid, closed ? 'closed' : 'reopened');
    });
  }
};
