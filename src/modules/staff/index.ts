/**
 * The staff module's public face: users, roles, sessions, API tokens, the
 * sign-in and account pages, the scopes' guards, who a request acts for
 * (principal), and the shell every staff page is drawn in.
 */
export { ADMIN_USERS_NAV, adminUserRoutes } from './admin-users.routes.js';
export { staffApiRoutes } from './api.routes.js';
export { bootstrapAdmin } from './bootstrap.js';
export { LOGIN_PATH, perSignedInUser, perToken, perTokenOwner, recognizeSession, sessionForms, sessionGuard, staffViewer, tokenGuard } from './guards.js';
export { loginRoutes } from './login.routes.js';
export { ME_NAV, meRoutes } from './me.routes.js';
export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem, preparePasswordVerification } from './password.js';
export { actorOf, declarePrincipal, ownKey, principalKey, principalOf, type Principal } from './principal.js';
export { can, isRole, PERMISSIONS, ROLES, type Permission, type Role } from './roles.js';
export { sessionRoutes } from './session.routes.js';
export type { ApiTokenTable, StaffSessionTable, StaffUserTable } from './staff.tables.js';
export { createToken, listTokens, revokeToken, TOKEN_LABEL_MAX, type ApiTokenInfo, type TokenPolicy } from './tokens.js';
export {
  changeRole,
  countUsers,
  createUser,
  findUserByName,
  listUsers,
  normalizeUsername,
  setDisabled,
  setPassword,
  UserNotFoundError,
  usernameProblem,
  type StaffUser,
} from './users.js';
