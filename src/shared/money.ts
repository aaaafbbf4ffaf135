/**
 * Money is held as integer cents so that sums and differences are exact.
 * Only parsing (from the seed file or a form) and formatting cross the
 * boundary between decimal text and cents; nothing in between uses floats.
 *
 * Cents is branded so that a count, an id or a time cannot be passed where
 * an amount is expected, nor the other way round without saying so. A value
 * becomes Cents only here: parseAmount (typed text), centsFromColumn (a
 * database column), cents (a checked integer: literals, validated input) and
 * the arithmetic below, each refusing anything but a safe integer.
 */
export type Cents = number & { readonly __brand: 'Cents' };

/** A whole number of cents; a fraction, NaN or a value past 2^53 is a RangeError, not money. */
export function cents(value: number): Cents {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a whole number of cents`);
  return value as Cents;
}

export const ZERO_CENTS = cents(0);

export function addCents(a: Cents, b: Cents): Cents {
  return cents(a + b);
}

export function subtractCents(a: Cents, b: Cents): Cents {
  return cents(a - b);
}

/** 0 − amount rather than −amount, so that zero stays 0 and never becomes −0. */
export function negateCents(amount: Cents): Cents {
  return subtractCents(ZERO_CENTS, amount);
}

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
  const magnitude = cents(Number(whole) * 100 + Number(fraction.padEnd(2, '0')));
  return sign ? negateCents(magnitude) : magnitude;
}

/**
 * Cents as a decimal string: "-1234.05". Exact at any size: a bigint (a sum
 * over many accounts may pass 2^53) is divided as a bigint, never as a float.
 */
export function decimalFromCents(amount: Cents | bigint): string {
  if (typeof amount === 'number' && !Number.isSafeInteger(amount)) throw new RangeError(`${amount} is not a whole number of cents`);
  const big = BigInt(amount);
  const magnitude = big < 0n ? -big : big;
  return `${big < 0n ? '-' : ''}${magnitude / 100n}.${String(magnitude % 100n).padStart(2, '0')}`;
}

/** Formats cents as the app shows money: "40.00 USD", "-10.00 USD". */
export function formatCents(amount: Cents | bigint): string {
  return `${decimalFromCents(amount)} ${CURRENCY}`;
}

/**
 * Database drivers hand BIGINT back as number (better-sqlite3, mysql2),
 * string (pg) or bigint; this is the one place that turns them into cents.
 */
export function centsFromColumn(value: number | string | bigint): Cents {
  const amount = Number(value);
  if (!Number.isSafeInteger(amount)) throw new RangeError(`column value ${String(value)} is not a whole number of cents`);
  return amount as Cents;
}
