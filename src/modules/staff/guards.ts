import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { FormProtection } from '../../platform/http/form-protection.js';
import type { Guard } from '../../platform/http/scopes.js';
import { postedFormToken } from '../../platform/http/security.js';
import type { StaffViewer } from '../../platform/views/staff-page.js';
import { AppError } from '../../shared/errors.js';
import type { Database } from '../../schema.js';
import { can, isPermission, type Permission } from './roles.js';
import { findLiveSession, isSessionFormToken, SESSION_COOKIE, sessionCookieOptions, sessionFormToken, type SessionPolicy } from './sessions.js';
import { findTokenUser } from './tokens.js';

export const LOGIN_PATH = '/login';

function authorize(request: FastifyRequest, access: string): void {
  const principal = request.principal;
  if (!principal) throw new AppError(401, 'SIGN_IN_REQUIRED', 'Please sign in to see this page.');
  // knows() admitted only permissions at registration.
  if (!can(principal.role, access as Permission)) {
    throw new AppError(403, 'FORBIDDEN', `Your role (${principal.role}) does not allow this. Ask an admin if you need it.`);
  }
}

/** Where to come back to after signing in: this page, when it is one a link can reopen. */
function loginRedirect(request: FastifyRequest): string {
  const back = request.method === 'GET' && request.url !== '/' ? `?next=${encodeURIComponent(request.url)}` : '';
  return `${LOGIN_PATH}${back}`;
}

/** Sets request.principal from a live session in the cookie; false (and nothing set) without one. */
async function signInFromCookie(db: Kysely<Database>, policy: SessionPolicy, request: FastifyRequest): Promise<boolean> {
  const id = request.cookies[SESSION_COOKIE];
  const session = id === undefined ? undefined : await findLiveSession(db, id, policy);
  if (!session) return false;
  request.principal = { userId: session.userId, username: session.username, role: session.role, sessionIdHash: session.idHash, tokenId: null };
  return true;
}

/**
 * The staff pages' guard: a live session from the cookie, or a redirect to
 * the sign-in page (for a page someone opened) or a 401 (for a form post).
 */
export function sessionGuard(db: Kysely<Database>, policy: SessionPolicy): Guard {
  return {
    authenticate: async (request: FastifyRequest, reply: FastifyReply) => {
      if (await signInFromCookie(db, policy, request)) return;
      if (request.cookies[SESSION_COOKIE] !== undefined) reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(0));
      if (request.method === 'GET' || request.method === 'HEAD') return reply.redirect(loginRedirect(request), 303);
      throw new AppError(401, 'SIGN_IN_REQUIRED', 'Your session has ended. Please sign in again.');
    },
    authorize,
    knows: isPermission,
  };
}

/** Staff forms carry a token bound to the session, valid on every replica sharing the secret. */
export function sessionForms(secret: string): FormProtection {
  const idHashOf = (request: FastifyRequest) => request.principal?.sessionIdHash ?? '';
  return {
    verify: (_scope, request, _reply, done) => {
      const posted = postedFormToken(request);
      const idHash = idHashOf(request);
      if (idHash !== '' && isSessionFormToken(secret, idHash, posted)) return done();
      done(new AppError(403, 'FORM_TOKEN_INVALID', 'This form could not be verified (its security token is missing or belongs to another session). Reload the page and try again.'));
    },
    token: (request) => sessionFormToken(secret, idHashOf(request)),
  };
}

/**
 * Whether a request outside the staff scope (a page nobody registered) comes
 * from a signed-in user, who then keeps the staff layout; sets request.principal.
 */
export function recognizeSession(db: Kysely<Database>, policy: SessionPolicy): (request: FastifyRequest) => Promise<boolean> {
  return (request) => signInFromCookie(db, policy, request);
}

/** The signed-in user as a staff page shows them: name, role, what they may open, and the sign-out form's token. */
export function staffViewer(forms: FormProtection): (request: FastifyRequest, reply: FastifyReply) => StaffViewer | null {
  return (request, reply) => {
    const principal = request.principal;
    if (!principal || principal.sessionIdHash === null) return null;
    return {
      name: principal.username,
      role: principal.role,
      may: (access) => isPermission(access) && can(principal.role, access),
      formToken: forms.token(request, reply),
    };
  };
}

const BEARER = /^Bearer +(\S+)\s*$/i;
const CHALLENGE = { 'www-authenticate': 'Bearer realm="globomantics-crm"' };

/** The API's guard: `Authorization: Bearer crm_…`, acting with the token owner's role. */
export function tokenGuard(db: Kysely<Database>): Guard {
  return {
    authenticate: async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      const match = header === undefined ? null : BEARER.exec(header);
      if (!match?.[1]) throw new AppError(401, 'TOKEN_REQUIRED', 'This API needs a valid bearer token in the Authorization header.', { headers: CHALLENGE });
      const owner = await findTokenUser(db, match[1]);
      if (!owner) {
        throw new AppError(401, 'TOKEN_INVALID', 'The bearer token is unknown, revoked or expired, or its owner is disabled.', {
          headers: { 'www-authenticate': `${CHALLENGE['www-authenticate']}, error="invalid_token"` },
        });
      }
      request.principal = { userId: owner.userId, username: owner.username, role: owner.role, sessionIdHash: null, tokenId: owner.tokenId };
    },
    authorize,
    knows: isPermission,
  };
}

/** Counts staff page requests per signed-in user (per address before anyone is). */
export function perSignedInUser(request: FastifyRequest): string {
  return request.principal ? `staff-pages:${request.principal.userId}` : `ip:${request.ip}`;
}

/** Counts API calls per token (per address before a token is known). */
export function perToken(request: FastifyRequest): string {
  return request.principal?.tokenId != null ? `token:${request.principal.tokenId}` : `ip:${request.ip}`;
}

/** Counts API calls per token owner, all their tokens together (per address before a token is known). */
export function perTokenOwner(request: FastifyRequest): string {
  return request.principal ? `api-user:${request.principal.userId}` : `ip:${request.ip}`;
}
