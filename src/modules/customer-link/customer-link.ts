import { linkExpiry, signLinkToken } from './link-token.js';

/** Where the customer's page lives: /s/TOKEN (short, so a link fits a line of a plain-text e-mail). */
export const CUSTOMER_LINK_PREFIX = '/s';

export interface CustomerLinkRequest {
  /** SESSION_SECRET: the link's key is derived from it. */
  readonly secret: string;
  /** PUBLIC_BASE_URL: the address customers use, such as https://crm.example.com. */
  readonly baseUrl: string;
  readonly acctid: string;
  /** Milliseconds since the epoch: when the link is made. */
  readonly now: number;
  /** STATEMENT_LINK_DAYS: how long it works. */
  readonly days: number;
}

/** The customer's statement page for an account, signed, working for `days` days unless its account's links are revoked. */
export function customerLinkFor({ secret, baseUrl, acctid, now, days }: CustomerLinkRequest): string {
  const token = signLinkToken(secret, { acctid, issuedAt: now, expiresAt: linkExpiry(now, days) });
  return `${baseUrl.replace(/\/+$/, '')}${CUSTOMER_LINK_PREFIX}/${token}`;
}
