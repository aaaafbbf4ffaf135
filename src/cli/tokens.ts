/** `crm tokens …`: API bearer tokens, which act with their owner's role. */
import { InvalidArgumentError, type Command } from 'commander';
import { CLI_ACTOR } from '../modules/audit/index.js';
import { type ApiTokenInfo, createToken, findUserByName, listTokens, normalizeUsername, revokeToken, TOKEN_LABEL_MAX, UserNotFoundError } from '../modules/staff/index.js';
import { formatTable, formatTime, note, print, withDatabase } from './context.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_DAYS = 3650;

/** A parser for a whole number from min to max; `rule` says what is expected. */
function wholeNumber(min: number, max: number, rule: string) {
  return (text: string): number => {
    const value = /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
    if (!(value >= min && value <= max)) throw new InvalidArgumentError(rule);
    return value;
  };
}

function tokenStatus(token: ApiTokenInfo, now: number): string {
  if (token.revokedAt !== null) return 'revoked';
  return token.expiresAt !== null && token.expiresAt <= now ? 'expired' : 'active';
}

export function registerTokensCommands(program: Command): void {
  const tokens = program.command('tokens').description('API bearer tokens (Authorization: Bearer crm_…), acting with their owner’s role');

  tokens
    .command('create')
    .description('create a token for a user: printed once on stdout, never shown again')
    .argument('<name>', 'the user the token acts as')
    .requiredOption('--label <text>', `what the token is for, to recognise it later (1 to ${TOKEN_LABEL_MAX} characters)`)
    .option('--expires-in-days <n>', `days until it stops working (1 to ${MAX_DAYS}); without it, it lasts until revoked`, wholeNumber(1, MAX_DAYS, `It must be a whole number of days from 1 to ${MAX_DAYS}.`))
    .action(async (name: string, options: { label: string; expiresInDays?: number }) => {
      await withDatabase(async ({ db, config }) => {
        const user = await findUserByName(db, name);
        if (!user) throw new UserNotFoundError(`named "${normalizeUsername(name)}" (crm users list shows them all)`);
        const expiresAt = options.expiresInDays === undefined ? null : Date.now() + options.expiresInDays * DAY_MS;
        const { token, info } = await createToken(db, CLI_ACTOR, { userId: user.id, username: user.username, label: options.label, expiresAt }, { livePerUser: config.tokensPerUser });
        // The token alone on stdout, so `TOKEN=$(crm tokens create …)` captures exactly it.
        print(token);
        const expiry = info.expiresAt === null ? 'does not expire' : `expires ${formatTime(info.expiresAt)}`;
        note(`Token ${info.id} ("${info.label}") for ${user.username}, ${expiry}. It will not be shown again: store it now.`);
        if (user.disabled) note(`Note: ${user.username} is disabled; the token works only once they are enabled again.`);
      });
    });

  tokens
    .command('list')
    .description('a user’s tokens: id, label, prefix, dates and status (never the token itself)')
    .argument('<name>', 'user name')
    .option('--json', 'one JSON array instead of a table')
    .action(async (name: string, options: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const user = await findUserByName(db, name);
        if (!user) throw new UserNotFoundError(`named "${normalizeUsername(name)}" (crm users list shows them all)`);
        const all = await listTokens(db, user.id);
        const now = Date.now();
        if (options.json) {
          const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
          const rows = all.map((token) => ({
            id: token.id,
            label: token.label,
            prefix: token.prefix,
            status: tokenStatus(token, now),
            createdAt: iso(token.createdAt),
            expiresAt: iso(token.expiresAt),
            lastUsedAt: iso(token.lastUsedAt),
            revokedAt: iso(token.revokedAt),
          }));
          return print(JSON.stringify(rows, null, 2));
        }
        if (all.length === 0) return print(`${user.username} has no API tokens.`);
        print(
          formatTable(
            ['ID', 'LABEL', 'PREFIX', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED'],
            all.map((token) => [
              String(token.id),
              token.label,
              `${token.prefix}…`,
              tokenStatus(token, now),
              formatTime(token.createdAt),
              formatTime(token.expiresAt),
              formatTime(token.lastUsedAt),
            ]),
          ),
        );
      });
    });

  tokens
    .command('revoke')
    .description('stop a token from working, at once and for good')
    .argument('<id>', 'the token’s id (crm tokens list NAME shows it)', wholeNumber(1, Number.MAX_SAFE_INTEGER, 'It must be a positive whole number.'))
    .action(async (id: number) => {
      await withDatabase(async ({ db }) => {
        const before = Date.now();
        const info = await revokeToken(db, CLI_ACTOR, id);
        const already = info.revokedAt !== null && info.revokedAt < before;
        print(already ? `Token ${id} ("${info.label}") was already revoked.` : `Revoked token ${id} ("${info.label}").`);
      });
    });
}
