import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FlashMessage } from '../../platform/views/components.js';
import type { SafeHtml } from '../../platform/views/html.js';
import { layout, type NavItem } from '../../platform/views/layout.js';
import { principalOf } from './principal.js';
import { can, type Permission } from './roles.js';

/** The staff navigation: each entry shows only to roles that may open it. */
const NAV: readonly (NavItem & { readonly needs: Permission })[] = [
  { href: '/dashboard', label: 'Dashboard', needs: 'accounts:read' },
  { href: '/', label: 'Balance lookup', needs: 'self' },
  { href: '/accounts', label: 'Accounts', needs: 'accounts:read' },
  { href: '/me', label: 'My account', needs: 'self' },
  { href: '/admin/users', label: 'Users', needs: 'users:manage' },
  { href: '/admin/audit', label: 'Audit log', needs: 'audit:read' },
  { href: '/admin/import', label: 'Import / export', needs: 'accounts:import' },
];

export interface StaffPageOptions {
  readonly title: string;
  readonly body: SafeHtml;
  readonly flash?: readonly FlashMessage[];
  /** The nav entry to mark as current. */
  readonly current?: string;
}

/** A full staff page: layout with the nav this user may use, who is signed in, and the sign-out form. */
export function staffPage(request: FastifyRequest, reply: FastifyReply, { title, body, flash = [], current }: StaffPageOptions): string {
  const principal = principalOf(request);
  const nav = NAV.filter((item) => can(principal.role, item.needs)).map(({ href, label }) => ({ href, label, current: href === current }));
  return layout({ title, body, nav, flash, user: { name: principal.username, role: principal.role }, csrfToken: reply.formToken() });
}

export const HTML = 'text/html; charset=utf-8';
