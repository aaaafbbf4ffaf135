/**
 * Roles are data: each is a set of permissions, and routes declare the
 * permission they need (never a role). Adding a role or moving a permission
 * is a change to this table only.
 */
export const PERMISSIONS = [
  /** Any signed-in user: their own profile, password and tokens. */
  'self',
  'accounts:read',
  'accounts:write',
  'payments:record',
  'users:manage',
  'audit:read',
  /** Bulk import and export of accounts from the UI (the CLI needs database access instead). */
  'accounts:import',
  /** The e-mail outbox: see every message, retry and cancel them. */
  'outbox:manage',
  /** The reminder policy (levels, subjects and texts of overdue reminders). */
  'reminders:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['admin', 'clerk', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = Object.freeze({
  admin: new Set(PERMISSIONS),
  clerk: new Set<Permission>(['self', 'accounts:read', 'accounts:write', 'payments:record']),
  viewer: new Set<Permission>(['self', 'accounts:read']),
});

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** The one authorization decision: may a user with this role do what needs this permission? */
export function can(role: string, permission: Permission): boolean {
  return isRole(role) && ROLE_PERMISSIONS[role].has(permission);
}
