/**
 * How the collections features are wired from the settings, for every door
 * that queues customer messages (crm reminders, the worker's daily job): the
 * customer link each message carries and the company that signs it.
 */
import type { Config } from '../config.js';
import { customerLinkFor } from '../modules/customer-link/index.js';
import type { LinkFor, Signature } from '../modules/reminders/index.js';

/** The customer's signed link to their account page, made at `now`, working for STATEMENT_LINK_DAYS. */
export function linkForConfig(config: Config, now: number): LinkFor {
  return (acctid) => customerLinkFor({ secret: config.sessionSecret, baseUrl: config.mail.publicBaseUrl, acctid, now, days: config.customerLinkDays });
}

export function signatureOf(config: Config): Signature {
  return { name: config.company.name, addressLines: config.company.addressLines };
}
