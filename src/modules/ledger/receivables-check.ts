import { sql, type RawBuilder } from 'kysely';
import { formatCents } from '../../shared/money.js';
import type { Queryable } from '../../schema.js';

/** An account whose open items disagree with its entries, its allocations or its balance, and how. */
export interface ReceivablesMismatch {
  readonly acctid: string;
  /** One sentence per broken rule, naming the entry or allocation. */
  readonly problems: readonly string[];
}

type Figure = number | string | bigint;

/** Accounts per query when a list is given: well under every driver's limit on bound parameters. */
const ACCOUNTS_PER_QUERY = 1000;

/**
 * Accounts whose receivables break a rule that the writers keep: none,
 * always (tests and operators check it, like ledgerMismatches for totals).
 * - every entry has one open item, on the side its kind and sign say
 *   (charges and positive adjustments: charge; payments and negative
 *   adjustments: credit), with the entry's amount, date and due date;
 * - an item's `open_cents` is its amount minus its allocations, which never
 *   exceed it; `settled_on` is set exactly when nothing is open, and is then
 *   the latest allocation's date (`last_applied_on` always is);
 * - an allocation joins a charge and a credit of its own account, dated the
 *   later of the two;
 * - today, the open charges less the open credits are the account's balance.
 * Without `acctids`, every account (a full pass: run it off-peak at scale).
 */
export async function receivablesMismatches(db: Queryable, acctids?: readonly string[]): Promise<ReceivablesMismatch[]> {
  const problems = new Map<string, string[]>();
  const note = (acctid: string, problem: string) => {
    const list = problems.get(acctid) ?? [];
    if (!list.includes(problem)) list.push(problem);
    problems.set(acctid, list);
  };
  const groups = acctids === undefined ? [undefined] : chunk(acctids.length > 0 ? [...new Set(acctids)] : [''], ACCOUNTS_PER_QUERY);
  for (const only of groups) {
    for (const check of [entriesWithoutTheirItem, itemsWithoutEntry, itemsAgainstAllocations, allocationsAcrossSides, balancesAgainstOpenItems]) {
      for (const { acctid, problem } of await check(db, only)) if (only === undefined || only.includes(acctid)) note(acctid, problem);
    }
  }
  return [...problems.keys()].sort().map((acctid) => ({ acctid, problems: problems.get(acctid) ?? [] }));
}

interface Found {
  readonly acctid: string;
  readonly problem: string;
}

type Check = (db: Queryable, only: readonly string[] | undefined) => Promise<Found[]>;

/** `and <column> in (...)` for a list of accounts; nothing for every account. */
function among(column: string, only: readonly string[] | undefined): RawBuilder<unknown> {
  return only === undefined ? sql`` : sql`and ${sql.ref(column)} in (${sql.join([...only])})`;
}

const money = (value: Figure | null): string => formatCents(BigInt(String(value ?? 0)));

/** The side an entry's open item belongs on, in SQL: as isInvoice says. */
const SIDE_OF_ENTRY = sql`case when e.kind = 'charge' or (e.kind = 'adjustment' and e.amount_cents > 0) then 'charge' else 'credit' end`;

const entriesWithoutTheirItem: Check = async (db, only) => {
  const { rows } = await sql<{
    id: Figure;
    acctid: string;
    kind: string;
    amount_cents: Figure;
    effective_on: string;
    expected_side: string;
    expected_due_on: string;
    item: Figure | null;
    item_acctid: string | null;
    side: string | null;
    item_amount: Figure | null;
    item_effective_on: string | null;
    item_due_on: string | null;
  }>`select e.id, e.acctid, e.kind, e.amount_cents, e.effective_on, ${SIDE_OF_ENTRY} as expected_side, coalesce(e.due_on, e.effective_on) as expected_due_on,
      o.entry_id as item, o.acctid as item_acctid, o.side, o.amount_cents as item_amount, o.effective_on as item_effective_on, o.due_on as item_due_on
    from ledger_entry e left join open_item o on o.entry_id = e.id
    where (o.entry_id is null or o.acctid <> e.acctid or o.side <> ${SIDE_OF_ENTRY} or o.amount_cents <> abs(e.amount_cents)
      or o.effective_on <> e.effective_on or o.due_on <> coalesce(e.due_on, e.effective_on)) ${among('e.acctid', only)}
    order by e.id`.execute(db);
  return rows.map((row) => {
    const entry = `entry ${String(row.id)} (${row.kind} ${money(row.amount_cents)})`;
    if (row.item === null) return { acctid: row.acctid, problem: `${entry} has no open item` };
    const differences = [
      row.item_acctid !== row.acctid ? `account ${String(row.item_acctid)}, not ${row.acctid}` : '',
      row.side !== row.expected_side ? `side ${String(row.side)}, not ${row.expected_side}` : '',
      BigInt(String(row.item_amount)) !== bigAbs(row.amount_cents) ? `amount ${money(row.item_amount)}, not ${money(bigAbs(row.amount_cents))}` : '',
      row.item_effective_on !== row.effective_on ? `dated ${String(row.item_effective_on)}, not ${row.effective_on}` : '',
      row.item_due_on !== row.expected_due_on ? `due ${String(row.item_due_on)}, not ${row.expected_due_on}` : '',
    ].filter(Boolean);
    return { acctid: row.acctid, problem: `${entry}: its open item has ${differences.join(', ')}` };
  });
};

const itemsWithoutEntry: Check = async (db, only) => {
  const { rows } = await sql<{ entry_id: Figure; acctid: string }>`select o.entry_id, o.acctid from open_item o left join ledger_entry e on e.id = o.entry_id
    where e.id is null ${among('o.acctid', only)} order by o.entry_id`.execute(db);
  return rows.map((row) => ({ acctid: row.acctid, problem: `open item ${String(row.entry_id)} has no entry` }));
};

const itemsAgainstAllocations: Check = async (db, only) => {
  const found: Found[] = [];
  for (const [side, column] of [
    ['charge', 'charge_id'],
    ['credit', 'credit_id'],
  ] as const) {
    const mine = sql.ref(`a.${column}`);
    const { rows } = await sql<{
      entry_id: Figure;
      acctid: string;
      amount_cents: Figure;
      open_cents: Figure;
      settled_on: string | null;
      last_applied_on: string | null;
      applied: Figure | null;
      last_on: string | null;
    }>`select * from (
        select o.entry_id, o.acctid, o.amount_cents, o.open_cents, o.settled_on, o.last_applied_on,
          (select sum(a.amount_cents) from allocation a where ${mine} = o.entry_id) as applied,
          (select max(a.effective_on) from allocation a where ${mine} = o.entry_id) as last_on
        from open_item o where o.side = ${side} ${among('o.acctid', only)}
      ) t
      where t.open_cents <> t.amount_cents - coalesce(t.applied, 0) or coalesce(t.applied, 0) > t.amount_cents
        or (t.open_cents = 0 and t.settled_on is null) or (t.open_cents <> 0 and t.settled_on is not null)
        or (t.settled_on is not null and (t.last_on is null or t.settled_on <> t.last_on))
        or coalesce(t.last_applied_on, '') <> coalesce(t.last_on, '')
      order by t.entry_id`.execute(db);
    for (const row of rows) {
      const item = `${side} ${String(row.entry_id)}`;
      const amount = BigInt(String(row.amount_cents));
      const applied = BigInt(String(row.applied ?? 0));
      const open = BigInt(String(row.open_cents));
      const note = (problem: string) => found.push({ acctid: row.acctid, problem: `${item}: ${problem}` });
      if (applied > amount) note(`its allocations (${money(applied)}) exceed its amount (${money(amount)})`);
      if (open !== amount - applied) note(`open ${money(open)}, but its amount ${money(amount)} less its allocations ${money(applied)} is ${money(amount - applied)}`);
      if (open === 0n && row.settled_on === null) note('nothing is open, but it has no settled date');
      if (open !== 0n && row.settled_on !== null) note(`${money(open)} is open, but it is settled on ${row.settled_on}`);
      if (row.settled_on !== null && row.settled_on !== row.last_on) note(`settled on ${row.settled_on}, but its latest allocation is dated ${row.last_on ?? '(none)'}`);
      if (row.last_applied_on !== row.last_on) note(`last applied on ${row.last_applied_on ?? '(never)'}, but its latest allocation is dated ${row.last_on ?? '(none)'}`);
    }
  }
  return found;
};

const allocationsAcrossSides: Check = async (db, only) => {
  const filter =
    only === undefined ? sql`` : sql`and (a.acctid in (${sql.join([...only])}) or c.acctid in (${sql.join([...only])}) or p.acctid in (${sql.join([...only])}))`;
  const { rows } = await sql<{
    id: Figure;
    acctid: string;
    charge_id: Figure;
    credit_id: Figure;
    amount_cents: Figure;
    effective_on: string;
    charge_acctid: string | null;
    charge_side: string | null;
    charge_on: string | null;
    credit_acctid: string | null;
    credit_side: string | null;
    credit_on: string | null;
  }>`select a.id, a.acctid, a.charge_id, a.credit_id, a.amount_cents, a.effective_on,
      c.acctid as charge_acctid, c.side as charge_side, c.effective_on as charge_on,
      p.acctid as credit_acctid, p.side as credit_side, p.effective_on as credit_on
    from allocation a left join open_item c on c.entry_id = a.charge_id left join open_item p on p.entry_id = a.credit_id
    where (c.entry_id is null or p.entry_id is null or c.side <> 'charge' or p.side <> 'credit' or c.acctid <> a.acctid or p.acctid <> a.acctid
      or a.amount_cents <= 0 or a.effective_on <> case when c.effective_on > p.effective_on then c.effective_on else p.effective_on end) ${filter}
    order by a.id`.execute(db);
  return rows.flatMap((row) => {
    const allocation = `allocation ${String(row.id)} (${money(row.amount_cents)} from ${String(row.credit_id)} to ${String(row.charge_id)})`;
    const problems = [
      row.charge_side === null ? `charge ${String(row.charge_id)} has no open item` : row.charge_side !== 'charge' ? `${String(row.charge_id)} is not a charge` : '',
      row.credit_side === null ? `credit ${String(row.credit_id)} has no open item` : row.credit_side !== 'credit' ? `${String(row.credit_id)} is not a credit` : '',
      row.charge_acctid !== null && row.charge_acctid !== row.acctid ? `the charge is account ${row.charge_acctid}'s` : '',
      row.credit_acctid !== null && row.credit_acctid !== row.acctid ? `the credit is account ${row.credit_acctid}'s` : '',
      BigInt(String(row.amount_cents)) <= 0n ? 'its amount is not positive' : '',
      row.charge_on !== null && row.credit_on !== null && row.effective_on !== (row.charge_on > row.credit_on ? row.charge_on : row.credit_on)
        ? `dated ${row.effective_on}, not the later of ${row.charge_on} and ${row.credit_on}`
        : '',
    ].filter(Boolean);
    const problem = `${allocation}: ${problems.join(', ')}`;
    // Named under every account it touches, so a check of either account shows it.
    return [...new Set([row.acctid, row.charge_acctid, row.credit_acctid])].flatMap((acctid) => (acctid === null ? [] : [{ acctid, problem }]));
  });
};

const OPEN_BALANCE = sql`coalesce(sum(case when o.side = 'charge' then o.open_cents else 0 - o.open_cents end), 0)`;

const balancesAgainstOpenItems: Check = async (db, only) => {
  const { rows } = await sql<{ acctid: string; balance_cents: Figure; open_balance: Figure }>`select acct.acctid, acct.balance_cents, ${OPEN_BALANCE} as open_balance
    from account acct left join open_item o on o.acctid = acct.acctid and o.settled_on is null
    where 1 = 1 ${among('acct.acctid', only)}
    group by acct.acctid, acct.balance_cents
    having ${OPEN_BALANCE} <> acct.balance_cents
    order by acct.acctid`.execute(db);
  return rows.map((row) => ({
    acctid: row.acctid,
    problem: `its open charges less its open credits are ${money(row.open_balance)}, but its balance is ${money(row.balance_cents)}`,
  }));
};

function bigAbs(value: Figure): bigint {
  const big = BigInt(String(value));
  return big < 0n ? -big : big;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}
