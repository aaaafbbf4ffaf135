import { errorSummary, field, form, pill, scrollRegion, table, type FieldError } from '../../platform/views/components.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import type { FormProblem } from '../../platform/views/form-problems.js';
import { PASSWORD_MIN_LENGTH } from './password.js';
import { TOKEN_LABEL_MAX, type ApiTokenInfo } from './tokens.js';
import { shownTime, timeTag } from '../../platform/views/format.js';

export const ME_PATH = '/me';
export const ME_TITLE = 'My account';

/** `?done=` keys and the fixed message each shows; nothing from the query is ever shown. */
export const ME_DONE = {
  password: 'Your password was changed. Every other session of yours has been signed out.',
  token_revoked: 'The token was revoked: it no longer works.',
} as const;
export type MeDone = keyof typeof ME_DONE;

export const MAX_TOKEN_DAYS = 365;

/** What the token form had when it was refused (never the token). */
export interface TokenFormView {
  readonly label: string;
  readonly expiresInDays: string;
}

export interface MeView {
  readonly username: string;
  readonly role: string;
  readonly tokens: readonly ApiTokenInfo[];
  readonly csrfToken: string;
  /** For each token's status. */
  readonly now: number;
  /** Problems with the password form, by field name. */
  readonly passwordProblems?: readonly FormProblem[];
  /** Problems with the token form, and what was typed in it. */
  readonly tokenProblems?: readonly FormProblem[];
  readonly tokenForm?: TokenFormView;
  /** A token just created: the one time it is shown. */
  readonly newToken?: { readonly token: string; readonly info: ApiTokenInfo };
}

const PASSWORD_FIELDS = { current_password: 'current_password', new_password: 'new_password', confirm_password: 'confirm_password' } as const;
const TOKEN_FIELDS = { label: 'token_label', expires_in_days: 'token_expires_in_days' } as const;

/** Problems (by field name) as summary entries linking to the inputs (by id). */
function toFieldErrors(problems: readonly FormProblem[], ids: Readonly<Record<string, string>>): FieldError[] {
  return problems.map(({ field: name, message }) => {
    const id = name === undefined ? undefined : ids[name];
    return id === undefined ? { message } : { field: id, message };
  });
}

function messageFor(problems: readonly FormProblem[] | undefined, name: string): string | undefined {
  return problems?.find((problem) => problem.field === name)?.message;
}

export function tokenStatus(token: ApiTokenInfo, now: number): 'active' | 'revoked' | 'expired' {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt <= now) return 'expired';
  return 'active';
}

function newTokenPanel({ token, info }: NonNullable<MeView['newToken']>): SafeHtml {
  return html`<section class="new-token" aria-labelledby="new-token-heading">
<h2 id="new-token-heading">Your new API token “${info.label}”</h2>
<p class="problem" role="alert">Copy it now and keep it somewhere safe: it will not be shown again. If you lose it, revoke it and create another.</p>
<p><code class="token">${token}</code></p>
<p>Send it in the <code>Authorization</code> header: <code>Authorization: Bearer crm_…</code>. ${
    info.expiresAt === null ? 'It does not expire; revoke it when it is no longer needed.' : `It expires ${shownTime(info.expiresAt)}.`
  }</p>
</section>`;
}

function passwordSection(view: MeView): SafeHtml {
  const problems = view.passwordProblems;
  return html`<section aria-labelledby="password-heading">
<h2 id="password-heading">Change password</h2>
<p>Changing it signs you out everywhere else; this browser stays signed in.</p>
${form({
  action: `${ME_PATH}/password`,
  csrfToken: view.csrfToken,
  fields: [
    field({ name: 'current_password', label: 'Current password', type: 'password', autocomplete: 'current-password', required: true, maxLength: 256, error: messageFor(problems, 'current_password') }),
    field({
      name: 'new_password',
      label: 'New password',
      type: 'password',
      autocomplete: 'new-password',
      required: true,
      maxLength: 256,
      hint: `At least ${PASSWORD_MIN_LENGTH} characters, without your user name; a few unrelated words work well. Common passwords are refused.`,
      error: messageFor(problems, 'new_password'),
    }),
    field({ name: 'confirm_password', label: 'New password again', type: 'password', autocomplete: 'new-password', required: true, maxLength: 256, error: messageFor(problems, 'confirm_password') }),
  ],
  submitLabel: 'Change password',
})}
</section>`;
}

function tokensSection(view: MeView): SafeHtml {
  const { csrfToken, now } = view;
  const problems = view.tokenProblems;
  const typed = view.tokenForm ?? { label: '', expiresInDays: '' };
  const tokens = table({
    caption: 'Your API tokens',
    stacked: true,
    empty: 'You have no API tokens.',
    rows: view.tokens,
    columns: [
      { header: 'Label', rowHeader: true, cell: (token) => token.label },
      { header: 'Token', cell: (token) => html`<code>${token.prefix}…</code>` },
      { header: 'Created', cell: (token) => timeTag(token.createdAt) },
      { header: 'Last used', cell: (token) => (token.lastUsedAt === null ? 'never' : timeTag(token.lastUsedAt)) },
      { header: 'Expires', cell: (token) => (token.expiresAt === null ? 'never' : timeTag(token.expiresAt)) },
      { header: 'Status', cell: (token) => pill(tokenStatus(token, now), tokenStatus(token, now) === 'active' ? 'success' : 'neutral') },
      {
        header: 'Action',
        cell: (token) =>
          tokenStatus(token, now) === 'active'
            ? form({ action: `${ME_PATH}/tokens/${token.id}/revoke`, csrfToken, fields: [], submitLabel: html`Revoke<span class="visually-hidden"> token ${token.label}</span>` })
            : '—',
      },
    ],
  });
  // The table can scroll sideways: its wrapper takes focus (tabindex=0) so a keyboard can scroll it, named by the heading
  // (role=group: a region named like the section around it would be a second landmark of that name).
  return html`<section aria-labelledby="tokens-heading">
<h2 id="tokens-heading">API tokens</h2>
<p>A token lets a script call the API as you, with your role. Revoking one stops it at once.</p>
${scrollRegion('tokens-heading', tokens)}
<h3>Create a token</h3>
${form({
  action: `${ME_PATH}/tokens`,
  csrfToken,
  fields: [
    field({ name: 'label', id: TOKEN_FIELDS.label, label: 'Label', value: typed.label, required: true, maxLength: TOKEN_LABEL_MAX, autocomplete: 'off', hint: 'What will use it, to recognise it later.', error: messageFor(problems, 'label') }),
    field({
      name: 'expires_in_days',
      id: TOKEN_FIELDS.expires_in_days,
      label: 'Expires after (days, optional)',
      type: 'number',
      value: typed.expiresInDays,
      autocomplete: 'off',
      hint: `1 to ${MAX_TOKEN_DAYS}; leave empty for a token that does not expire.`,
      error: messageFor(problems, 'expires_in_days'),
    }),
  ],
  submitLabel: 'Create token',
})}
</section>`;
}

/** The "My account" page: who you are, the password form and your API tokens (with a new one shown once). */
export function meBody(view: MeView): SafeHtml {
  const problems = [...toFieldErrors(view.passwordProblems ?? [], PASSWORD_FIELDS), ...toFieldErrors(view.tokenProblems ?? [], TOKEN_FIELDS)];
  return html`<h1>${ME_TITLE}</h1>
${view.newToken ? newTokenPanel(view.newToken) : ''}
${errorSummary(problems)}
<dl class="facts">
<dt>User name</dt><dd>${view.username}</dd>
<dt>Role</dt><dd>${view.role}</dd>
</dl>
${passwordSection(view)}
${tokensSection(view)}`;
}
