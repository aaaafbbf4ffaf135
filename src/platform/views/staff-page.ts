import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FlashMessage } from './components.js';
import type { SafeHtml } from './html.js';
import { layout } from './layout.js';

/** The content type of every HTML page. */
export const HTML = 'text/html; charset=utf-8';

/** A link in the staff navigation, declared by the module that registers the page it opens. */
export interface NavEntry {
  /** Checked by siteHref. */
  readonly href: string;
  readonly label: string;
  /** The access (a route's config.access) a viewer needs to see the entry. */
  readonly access: string;
  /** Grouped under "Admin" in the navigation. */
  readonly admin?: boolean;
}

/** Who is looking at a staff page, in the terms the layout needs. */
export interface StaffViewer {
  readonly name: string;
  readonly role: string;
  /** Whether the viewer may use a route declaring this access. */
  readonly may: (access: string) => boolean;
  /** The CSRF token for the sign-out form. */
  readonly formToken: string;
}

/**
 * What every staff page shares: the navigation (every module's entries,
 * handed in by the composition root) and who is signed in (null when
 * nobody is, e.g. on an error page before the sign-in check).
 */
export interface StaffShell {
  readonly nav: readonly NavEntry[];
  readonly viewer: (request: FastifyRequest, reply: FastifyReply) => StaffViewer | null;
}

declare module 'fastify' {
  interface FastifyReply {
    /** The staff shell of the HTML scope the route lives in; absent or null outside a staff scope. */
    readonly staffShell?: StaffShell | null;
  }
}

export interface StaffPageOptions {
  readonly title: string;
  readonly body: SafeHtml;
  readonly flash?: readonly FlashMessage[];
  /** The nav entry (its href) to mark as current. */
  readonly current?: string;
}

/**
 * A full staff page in `shell`: the navigation this viewer may use, who is
 * signed in and the sign-out form. Without a viewer, the page with only the
 * brand in its header.
 */
export function shellPage(shell: StaffShell, request: FastifyRequest, reply: FastifyReply, { title, body, flash = [], current }: StaffPageOptions): string {
  const viewer = shell.viewer(request, reply);
  if (viewer === null) return layout({ title, body, flash });
  const nav = shell.nav.filter((entry) => viewer.may(entry.access)).map(({ href, label, admin }) => ({ href, label, admin, current: href === current }));
  return layout({ title, body, nav, flash, user: { name: viewer.name, role: viewer.role }, csrfToken: viewer.formToken });
}

/** A full staff page for a route in a staff scope (see shellPage). */
export function staffPage(request: FastifyRequest, reply: FastifyReply, options: StaffPageOptions): string {
  if (!reply.staffShell) throw new Error('staffPage: this route must live in a scope with a staff shell');
  return shellPage(reply.staffShell, request, reply, options);
}
