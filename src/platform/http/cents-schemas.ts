import { z } from 'zod';

/**
 * How the API writes money in its schemas (and so in OpenAPI). One account's
 * amounts are integer cents, always safe integers. A sum over many accounts
 * or entries can pass 2^53 cents, beyond what a JSON number survives in most
 * parsers (JavaScript's among them): its *_cents stays a number (exact up to
 * 2^53 − 1, the nearest double beyond), and *_cents_exact gives the same sum
 * as a string of digits, exact at any size.
 */

/** One amount in integer cents. */
export const centsField = (what: string) => z.number().int().describe(`${what}, in integer cents.`);

// Not .int(): zod's integers stop at 2^53 − 1, and past it this is a whole number all the same.
/** A sum over many accounts, as a number. */
export const totalCentsField = (what: string) =>
  z.number().describe(`${what}, in cents: a whole number, exact up to 2^53 − 1 (9007199254740991); beyond that the nearest number a double holds: read the *_cents_exact string for every digit.`);

/** The same sum as a string of digits. */
export const exactCentsField = (what: string) =>
  z
    .string()
    .regex(/^-?[0-9]+$/)
    .describe(`${what}, in cents, as a string of decimal digits (with a leading - if negative), exact at any size: a sum can pass 2^53 cents, which a JSON number loses in most parsers.`);
