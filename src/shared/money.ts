/**
 * Money is held as integer cents so that sums and differences are exact.
 * Only parsing (from the seed file or a form) and formatting cross the
 * boundary between decimal text and cents; nothing in between uses floats.
 */
export type Cents = number;

export const CURRENCY = 'USD';

// Bounded quantifiers and no nesting: linear time, whatever the input.
// eslint-disable-next-line security/detect-unsafe-regex
const DECIMAL_AMOUNT = /^(-)?(\d{1,13})(?:\.(\d{1,2}))?$/;

export class InvalidAmountError extends Error {
  constructor(value: unknown) {
    super(`${JSON.stringify(value)} is not an amount with at most two decimals`);
    this.name = 'InvalidAmountError';
  }
}

/**
 * Parses "60", "60.5", "60.00" or the JSON number 60.00 into cents.
 * A JSON number is read through its shortest decimal form (String(60.1) is
 * "60.1"), so the seed file's numbers convert exactly, and 0.001 is refused
 * rather than silently rounded.
 */
export function parseAmount(value: number | string): Cents {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = DECIMAL_AMOUNT.exec(text);
  if (!match) throw new InvalidAmountError(value);
  const [, sign, whole = '0', fraction = ''] = match;
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return sign && cents !== 0 ? -cents : cents;
}

/**
 * Cents as a decimal string: "-1234.05". Exact at any size: a bigint (a sum
 * over many accounts may pass 2^53) is divided as a bigint, never as a float.
 */
export function decimalFromCents(cents: Cents | bigint): string {
  if (typeof cents === 'number' && !Number.isSafeInteger(cents)) throw new RangeError(`${cents} is not a whole number of cents`);
  const big = BigInt(cents);
  const magnitude = big < 0n ? -big : big;
  return `${big < 0n ? '-' : ''}${magnitude / 100n}.${String(magnitude % 100n).padStart(2, '0')}`;
}

/** Formats cents as the app shows money: "40.00 USD", "-10.00 USD". */
export function formatCents(cents: Cents | bigint): string {
  return `${decimalFromCents(cents)} ${CURRENCY}`;
}

/**
 * Database drivers hand BIGINT back as number (better-sqlite3, mysql2),
 * string (pg) or bigint; this is the one place that turns them into cents.
 */
export function centsFromColumn(value: number | string | bigint): Cents {
  const cents = Number(value);
  if (!Number.isSafeInteger(cents)) throw new RangeError(`column value ${String(value)} is not a whole number of cents`);
  return cents;
}
