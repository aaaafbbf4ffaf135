/**
 * `crm link ACCTID [--revoke]`: prints a customer link to the account's own
 * page (for support: a customer who lost the e-mail), or with --revoke stops
 * every link of the account made so far. Both audited as "cli".
 */
import { InvalidArgumentError, type Command } from 'commander';
import { acctidField, requireAccount } from '../modules/accounts/index.js';
import { CLI_ACTOR, recordAudit } from '../modules/audit/index.js';
import { customerLinkFor, revokeCustomerLinks } from '../modules/customer-link/index.js';
import { CliFailure, formatTime, note, print, withDatabase } from './context.js';
import { NO_LINK_SECRET } from './collections.js';

const DAY_MS = 86_400_000;

/** The id as stored (upper case), or the rule it breaks (exit 2 with the usage). */
function accountId(typed: string): string {
  const parsed = acctidField.safeParse(typed);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? 'It is not an account id.');
  return parsed.data;
}

export function registerLinkCommand(program: Command): void {
  program
    .command('link')
    .description("print a customer link to an account's own page (balance, open invoices, statement; no sign-in), or revoke its links")
    .argument('<acctid>', 'the account, such as ACCT100', accountId)
    .option('--revoke', 'revoke every link of the account made until now instead (links made afterwards work)')
    .action(async (acctid: string, options: { revoke?: boolean }) => {
      await withDatabase(async ({ db, config }) => {
        // A secret made up for this run would sign a link no server accepts.
        if (!options.revoke && config.sessionSecretSource === 'random') throw new CliFailure(NO_LINK_SECRET);
        const account = await requireAccount(db, acctid);
        const now = Date.now();
        if (options.revoke) {
          await db.transaction().execute((trx) => revokeCustomerLinks(trx, CLI_ACTOR, account.acctid, now));
          return note(`Every customer link of ${account.acctid} (${account.name}) made until now was revoked.`);
        }
        const days = config.customerLinkDays;
        const link = customerLinkFor({ secret: config.sessionSecret, baseUrl: config.mail.publicBaseUrl, acctid: account.acctid, now, days });
        await recordAudit(db, CLI_ACTOR, { action: 'customer_link.issued', target: account.acctid, after: { days } }, now);
        // The link alone on stdout, so LINK=$(crm link ACCT100) captures exactly it.
        print(link);
        note(`Customer link for ${account.acctid} (${account.name}), works until ${formatTime(now + days * DAY_MS)} unless revoked (crm link ${account.acctid} --revoke).`);
      });
    });
}
