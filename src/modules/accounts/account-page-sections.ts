import type { SafeHtml } from '../../platform/views/html.js';
import type { Permission } from '../staff/index.js';
import type { AccountDetails } from './account.js';

/**
 * A section another module adds to the staff account page (handed in by the
 * composition root, like the navigation entries), so a module that uses
 * accounts can show its part of an account without accounts importing it.
 */
export interface AccountPageSection {
  /** The section's HTML for this account and viewer, or null to show nothing. */
  readonly render: (context: AccountSectionContext) => Promise<SafeHtml | null>;
  /** The `?done=` keys the section's forms redirect back with, and the message each shows. */
  readonly done?: Readonly<Record<string, string>>;
}

export interface AccountSectionContext {
  readonly account: AccountDetails;
  /** Whether the signed-in user may do what needs this permission. */
  readonly may: (permission: Permission) => boolean;
  /** The form token for the section's forms. */
  readonly csrfToken: string;
}
