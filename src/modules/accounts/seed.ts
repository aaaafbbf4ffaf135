import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseAmount } from '../../shared/money.js';
import type { Queryable } from '../../schema.js';
import { ACCTID_PROBLEMS, normalizeAcctId, type Account } from './account.js';
import { insertAccountIfMissing } from './account.repository.js';

export class SeedError extends Error {
  override name = 'SeedError';
}

const amount = z.union([z.number(), z.string()]).transform((value, context) => {
  try {
    const cents = parseAmount(value);
    if (cents < 0) throw new Error('is negative');
    return cents;
  } catch {
    context.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a non-negative amount with at most two decimals` });
    return z.NEVER;
  }
});

const seedEntry = z.object({
  acctid: z.string().transform((value, context) => {
    const check = normalizeAcctId(value);
    if (check.ok) return check.acctid;
    context.addIssue({ code: 'custom', message: `${JSON.stringify(value)}: ${ACCTID_PROBLEMS[check.reason]}` });
    return z.NEVER;
  }),
  paid: amount,
  due: amount,
});

/** Reads the seed file's format, amounts in currency units: [{"acctid":"ACCT100","paid":60.00,"due":100.00}, ...]. */
export function parseSeed(text: string): Account[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SeedError(`not valid JSON: ${(error as Error).message}`);
  }
  const parsed = z.array(seedEntry).safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length ? `[${issue.path.join('].')}` : ''} ${issue.message}`.trim());
    throw new SeedError(problems.join('; '));
  }
  const seen = new Set<string>();
  for (const entry of parsed.data) {
    if (seen.has(entry.acctid)) throw new SeedError(`account ${entry.acctid} is listed twice`);
    seen.add(entry.acctid);
  }
  return parsed.data.map(({ acctid, paid, due }) => ({ acctid, paidCents: paid, dueCents: due }));
}

export async function readSeedFile(path: string): Promise<Account[]> {
  let text: string;
  try {
    // The path is the operator's SEED_FILE setting, never a visitor's input.
    // eslint-disable-next-line security/detect-non-literal-fs-filename
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SeedError(`cannot read seed file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return parseSeed(text);
  } catch (error) {
    throw new SeedError(`seed file ${path}: ${(error as Error).message}`);
  }
}

/**
 * Adds the accounts that do not exist yet and never overwrites one that does,
 * so a restart (or a second replica) is harmless: seeding runs at every
 * start, and a duplicate key must not stop one.
 */
export async function seedAccounts(db: Queryable, accounts: readonly Account[]): Promise<{ inserted: number; existing: number; added: Account[] }> {
  const added: Account[] = [];
  for (const account of accounts) {
    if (await insertAccountIfMissing(db, account)) added.push(account);
  }
  return { inserted: added.length, existing: accounts.length - added.length, added };
}
