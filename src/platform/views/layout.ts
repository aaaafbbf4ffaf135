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
  /** Listed under "Admin". */
  readonly admin?: boolean;
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
  /** A page outside the CRM (a customer's): this name in the title and header, unlinked, and main as wide as the staff pages. */
  readonly brand?: string;
  /** Asks search engines not to index the page (`<meta name="robots">`; the response should say so too). */
  readonly noindex?: boolean;
}

/** A signed-in user comes with the CSRF token for the sign-out form; no user, no token. */
export type LayoutOptions = LayoutCommon &
  ({ readonly user: SignedInUser; readonly csrfToken: string } | { readonly user?: undefined; readonly csrfToken?: undefined });

/** One list of links; the current page is marked with aria-current. */
function links(items: readonly NavItem[]): SafeHtml {
  return html`${items.map(
    ({ href, label, current }) => html`<li><a href="${siteHref(href)}"${current ? html` aria-current="page"` : ''}>${label}</a></li>\n`,
  )}`;
}

/** The main links, then the admin ones under their heading. */
function navigation(items: readonly NavItem[], className: string): SafeHtml {
  const main = items.filter((item) => !item.admin);
  const admin = items.filter((item) => item.admin);
  return html`<nav aria-label="Main" class="${className}">
<ul>
${links(main)}</ul>
${admin.length === 0 ? '' : html`<p class="nav-group">Admin</p>
<ul>
${links(admin)}</ul>
`}</nav>`;
}

function signedIn(user: SignedInUser, csrfToken: string): SafeHtml {
  return html`
<div class="signed-in">
<span>Signed in as ${user.name} (${user.role})</span>
${form({ action: '/logout', csrfToken, fields: [], submitLabel: 'Sign out' })}
</div>`;
}

const CRM_NAME = 'Globomantics CRM';

/** The whole document: the head every page shares, the body's start (up to its header), and main. */
function pageDocument(title: string, bodyStart: SafeHtml, main: SafeHtml, { site = CRM_NAME, noindex = false }: { site?: string; noindex?: boolean } = {}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${noindex ? html`<meta name="robots" content="noindex">
` : ''}<title>${title} · ${site}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/crm.css">
</head>
${bodyStart}
<main>
${main}
</main>
</body>
</html>
`.value;
}

/**
 * A page with the staff shell: a top bar (brand, on a phone the menu button,
 * who is signed in) and the navigation as a sidebar beside the content (in
 * the header, so Tab meets brand, navigation, then sign-out). The
 * phone's menu is a <details> (no script); each copy of the navigation shows
 * at its own screen size only (display: none hides the other from
 * assistive technology too).
 */
function shellDocument(options: LayoutOptions, nav: readonly NavItem[], flashes: SafeHtml | ''): string {
  const { title, body } = options;
  const user = options.user === undefined ? '' : signedIn(options.user, options.csrfToken);
  return pageDocument(title, html`<body class="has-shell">
<header class="topbar"><a class="brand" href="/">Globomantics CRM</a>${
    nav.length > 0 ? html`\n<details class="nav-menu"><summary>Menu</summary>\n${navigation(nav, 'nav-phone')}\n</details>\n${navigation(nav, 'sidebar')}` : ''
  }${user}
</header>`, html`${flashes}${body}`);
}

/** The document for a page. With no nav, user or flash it is exactly what page() has always rendered. */
export function layout(options: LayoutOptions): string {
  const { title, body, nav = [], flash: messages = [] } = options;
  const flashes = messages.length > 0 ? html`${flash(messages)}\n` : '';
  if (nav.length > 0 || options.user !== undefined) return shellDocument(options, nav, flashes);
  const { brand, noindex = false } = options;
  if (brand !== undefined) {
    return pageDocument(title, html`<body class="outside-page">
<header><span class="brand">${brand}</span></header>`, html`${flashes}${body}`, { site: brand, noindex });
  }
  return pageDocument(title, html`<body>
<header><a class="brand" href="/">${CRM_NAME}</a></header>`, html`${flashes}${body}`, { noindex });
}

/** A page with only the brand in its header: the lookup and error pages. */
export function page(title: string, body: SafeHtml): string {
  return layout({ title, body });
}
