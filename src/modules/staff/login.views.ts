import { errorSummary, field, form, hiddenField } from '../../platform/views/components.js';
import { html } from '../../platform/views/html.js';
import { layout } from '../../platform/views/layout.js';

/** The one message for every failed sign-in: it never tells whether the user exists or is locked. */
export const SIGN_IN_FAILED =
  'That user name and password did not work. After several failed attempts the account is locked for a while: wait a few minutes before trying again.';

export interface LoginPageOptions {
  readonly csrfToken: string;
  readonly next: string;
  readonly username?: string;
  readonly problem?: string;
  readonly notice?: string;
}

export function loginPage({ csrfToken, next, username = '', problem, notice }: LoginPageOptions): string {
  return layout({
    title: 'Sign in',
    flash: notice ? [{ kind: 'info', text: notice }] : [],
    body: html`<h1>Sign in</h1>
${problem ? errorSummary([{ field: 'username', message: problem }], 'Sign-in failed') : ''}
${form({
  action: '/login',
  csrfToken,
  fields: [
    hiddenField('next', next),
    field({ name: 'username', label: 'User name', value: username, autocomplete: 'username', required: true, maxLength: 64, autofocus: !username }),
    field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true, maxLength: 256, autofocus: Boolean(username) }),
  ],
  submitLabel: 'Sign in',
})}`,
  });
}
