/**
 * How the collections features are wired from the settings, for every door
 * that queues customer messages (crm reminders, the worker's daily job): the
 * customer link each message carries and the company that signs it.
 */
import type { Config } from '../config.js';
import { customerLinkFor } from '../modules/customer-link/index.js';
import type { LinkFor, Signature } from '../modules/reminders/index.js';
import { CliFailure } from './context.js';

/** The customer's signed link to their account page, made at `now`, working for STATEMENT_LINK_DAYS. */
export function linkForConfig(config: Config, now: number): LinkFor {
  return (acctid) => customerLinkFor({ secret: config.sessionSecret, baseUrl: config.mail.publicBaseUrl, acctid, now, days: config.customerLinkDays });
}

/** Why a command refuses to make customer links without SESSION_SECRET: this process would sign them with a secret no server has. */
export const NO_LINK_SECRET = 'SESSION_SECRET is not set: set it as the server has it, or the customer links would not open';

/** linkForConfig for a command that queues messages now (crm reminders run, crm statements --email): refused without SESSION_SECRET. */
export function commandLinkFor(config: Config, now: number): LinkFor {
  if (config.sessionSecretSource === 'random') throw new CliFailure(NO_LINK_SECRET);
  return linkForConfig(config, now);
}

export function signatureOf(config: Config): Signature {
  return { name: config.company.name, addressLines: config.company.addressLines };
}
