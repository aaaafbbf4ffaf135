/**
 * The whole HTML document every page shares: head, header (brand, nav, the
 * signed-in user and sign-out), flash messages and main.
 */
import { flash, form, siteHref, type FlashMessage, type Text } from './components.js';
import { html, type SafeHtml } from './html.js';

export interface NavItem {
  /** Checked by siteHref. */
  readonly href: string;
  readonly label: Text;
  /** The page being shown: aria-current="page". */
  readonly current?: boolean;
}

export interface SignedInUser {
  readonly name: string;
  readonly role: string;
}

interface LayoutCommon {
  /** Shown as "{title} · Globomantics CRM". */
  readonly title: string;
  readonly body: SafeHtml;
  readonly nav?: readonly NavItem[];
  /** Shown at the top of main, before the body. */
  readonly flash?: readonly FlashMessage[];
}

/** A signed-in user comes with the CSRF token for the sign-out form; no user, no token. */
export type LayoutOptions = LayoutCommon &
  ({ readonly user: SignedInUser; readonly csrfToken: string } | { readonly user?: undefined; readonly csrfToken?: undefined });

function navigation(items: readonly NavItem[]): SafeHtml {
  const links = items.map(
    ({ href, label, current }) => html`<li><a href="${siteHref(href)}"${current ? html` aria-current="page"` : ''}>${label}</a></li>`,
  );
  return html`
<nav aria-label="Main">
<ul>
${links.map((link) => html`${link}\n`)}</ul>
</nav>`;
}

function signedIn(user: SignedInUser, csrfToken: string): SafeHtml {
  return html`
<div class="signed-in">
<span>Signed in as ${user.name} (${user.role})</span>
${form({ action: '/logout', csrfToken, fields: [], submitLabel: 'Sign out' })}
</div>`;
}

/** The document for a page. With no nav, user or flash it is exactly what page() has always rendered. */
export function layout(options: LayoutOptions): string {
  const { title, body, nav = [], flash: messages = [] } = options;
  const headerEnd = nav.length > 0 || options.user !== undefined ? html`\n` : '';
  const flashes = messages.length > 0 ? html`${flash(messages)}\n` : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Globomantics CRM</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/crm.css">
</head>
<body>
<header><a class="brand" href="/">Globomantics CRM</a>${nav.length > 0 ? navigation(nav) : ''}${options.user === undefined ? '' : signedIn(options.user, options.csrfToken)}${headerEnd}</header>
<main>
${flashes}${body}
</main>
</body>
</html>
`.value;
}

/** A page with only the brand in its header: the lookup and error pages. */
export function page(title: string, body: SafeHtml): string {
  return layout({ title, body });
}
