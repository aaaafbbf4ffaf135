import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { App } from '../../src/app.js';
import { CLI_ACTOR } from '../../src/modules/audit/audit.repository.js';
import { createToken } from '../../src/modules/staff/tokens.js';
import { createUser, type StaffUser } from '../../src/modules/staff/users.js';
import type { Role } from '../../src/modules/staff/roles.js';
import type { Database } from '../../src/schema.js';
import { formToken } from './https-client.js';

/** A user name no other test uses (the test databases are shared). */
export function uniqueUsername(prefix = 'u'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/** A password the policy accepts, different each time. */
export function goodPassword(): string {
  return `Correct horse ${randomBytes(6).toString('hex')} staple`;
}

export interface TestUser extends StaffUser {
  readonly password: string;
}

/** Creates a user the way an operator would (through the service, audited as "cli"). */
export async function addUser(db: Kysely<Database>, role: Role, username = uniqueUsername(role)): Promise<TestUser> {
  const password = goodPassword();
  const user = await createUser(db, CLI_ACTOR, { username, role, password });
  return { ...user, password };
}

/** Room for the tokens a test makes (the cap itself is tested through API_TOKENS_PER_USER). */
export const TEST_TOKEN_POLICY = { livePerUser: 1000 } as const;

/** A bearer token for a user, as `crm tokens create` makes one. */
export async function addToken(db: Kysely<Database>, user: StaffUser, label = 'test'): Promise<string> {
  const { token } = await createToken(db, CLI_ACTOR, { userId: user.id, username: user.username, label, expiresAt: null }, TEST_TOKEN_POLICY);
  return token;
}

const FORM = 'application/x-www-form-urlencoded';

export function cookieHeader(cookies: readonly { name: string; value: string }[]): string {
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

/** Signs in through the login form (GET for its token, POST); returns the session cookie or throws. */
export async function signInWith(app: App, username: string, password: string): Promise<{ cookie: string }> {
  const page = await app.inject({ method: 'GET', url: '/login' });
  const token = formToken(page.body);
  const reply = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': FORM, cookie: cookieHeader(page.cookies) },
    payload: new URLSearchParams({ username, password, csrf_token: token ?? '' }).toString(),
  });
  const session = reply.cookies.find((c) => c.name === '__Host-crm-session');
  if (reply.statusCode !== 303 || !session) throw new Error(`sign-in failed with ${reply.statusCode}`);
  return { cookie: `${session.name}=${session.value}` };
}

/** The session's form token, read from a staff page the way a browser gets it (the sign-out form on every page). */
export async function staffFormToken(app: App, cookie: string, url = '/me'): Promise<string> {
  const page = await app.inject({ method: 'GET', url, headers: { cookie } });
  const token = formToken(page.body);
  if (page.statusCode !== 200 || token === undefined) throw new Error(`GET ${url} gave ${page.statusCode} and no form token`);
  return token;
}

/** POSTs a form as a signed-in user (with the session's token unless `csrf_token` is given). */
export async function postStaffForm(app: App, cookie: string, url: string, fields: Record<string, string>, tokenUrl?: string) {
  const csrf = fields.csrf_token ?? (await staffFormToken(app, cookie, tokenUrl));
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': FORM, cookie },
    payload: new URLSearchParams({ ...fields, csrf_token: csrf }).toString(),
  });
}
