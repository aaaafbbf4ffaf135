import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lookupPage } from '../../src/modules/accounts/lookup.views.js';
import { errorSummary, field, flash, form, hiddenField, pager, select, siteHref, table } from '../../src/platform/views/components.js';
import { html, SafeHtml } from '../../src/platform/views/html.js';
import { layout, page } from '../../src/platform/views/layout.js';

/** A value in every interpolated place: it must come out only escaped. */
const EVIL = '<script>"x"&\'y\'</script>';
const EVIL_ESCAPED = '&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;';

function assertEscaped(markup: string, times: number): void {
  assert.ok(!markup.includes('<script>'), markup);
  assert.equal(markup.split(EVIL_ESCAPED).length - 1, times, markup);
}

/** The element that carries id="…", or undefined. */
function elementWithId(markup: string, id: string): string | undefined {
  const at = markup.indexOf(` id="${id}"`);
  if (at < 0) return undefined;
  const start = markup.lastIndexOf('<', at);
  const end = markup.indexOf('<', markup.indexOf('>', at));
  return markup.slice(start, end < 0 ? undefined : end);
}

// page('Account lookup', html`<h1>x</h1>`) as rendered before layout.ts existed.
const PAGE_BEFORE_LAYOUT = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Account lookup · Globomantics CRM</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/crm.css">
</head>
<body>
<header><a class="brand" href="/">Globomantics CRM</a></header>
<main>
<h1>x</h1>
</main>
</body>
</html>
`;

// The whole public lookup page, with hostile input: the form and its messages as they always were, then the staff link.
const LOOKUP_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Account lookup · Globomantics CRM</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/crm.css">
</head>
<body>
<header><a class="brand" href="/">Globomantics CRM</a></header>
<main>
<h1>Account lookup</h1>
<form method="post" action="/">
<input type="hidden" name="csrf_token" value="tok&lt;&quot;&amp;&gt;">
<label for="acctid">Enter account ID (e.g. ACCT100):</label>
<input type="text" id="acctid" name="acctid" value="ACCT&lt;1&gt;" maxlength="15" autocomplete="off" required autofocus>
<button type="submit">Submit</button>
</form>
<p class="problem" role="alert">Bad &quot;id&quot; &amp; &lt;b&gt;</p>
<p class="staff-sign-in"><a href="/login">Staff sign in</a></p>
</main>
</body>
</html>
`;

describe('page and layout', () => {
  test('page() renders exactly what it did before layout(), and so does layout() with no nav, user or flash', () => {
    assert.equal(page('Account lookup', html`<h1>x</h1>`), PAGE_BEFORE_LAYOUT);
    assert.equal(layout({ title: 'Account lookup', body: html`<h1>x</h1>` }), PAGE_BEFORE_LAYOUT);
    assert.equal(layout({ title: 'Account lookup', body: html`<h1>x</h1>`, nav: [], flash: [] }), PAGE_BEFORE_LAYOUT);
  });

  test('the public lookup page shows staff where to sign in', () => {
    assert.match(lookupPage({ csrfToken: 't' }), /<a href="\/login">Staff sign in<\/a>/);
  });

  test('the lookup page is unchanged', () => {
    const outcome = { kind: 'problem', message: 'Bad "id" & <b>' } as const;
    assert.equal(lookupPage({ csrfToken: 'tok<"&>', acctid: 'ACCT<1>', outcome }), LOOKUP_PAGE);
  });

  const signedIn = layout({
    title: 'Accounts',
    body: html`<h1>Accounts</h1>`,
    nav: [
      { href: '/accounts', label: 'Accounts', current: true },
      { href: '/users', label: 'Users' },
    ],
    user: { name: 'Ada Lovelace', role: 'admin' },
    csrfToken: 'token-123',
    flash: [
      { kind: 'success', text: 'Account saved' },
      { kind: 'error', text: 'Could not email the invoice' },
      { kind: 'info', text: 'Prices change on Monday' },
    ],
  });

  test('a signed-in page shows the nav with the current page, the user and a sign-out form with the CSRF token', () => {
    assert.match(signedIn, /<header class="topbar"><a class="brand" href="\/">Globomantics CRM<\/a>/);
    assert.match(signedIn, /<nav aria-label="Main" class="sidebar">/);
    assert.match(signedIn, /<details class="nav-menu"><summary>Menu<\/summary>\n<nav aria-label="Main" class="nav-phone">/, 'the phone gets the same links behind a menu button');
    assert.match(signedIn, /<a href="\/accounts" aria-current="page">Accounts<\/a>/);
    assert.match(signedIn, /<a href="\/users">Users<\/a>/);
    assert.equal(signedIn.split('aria-current').length - 1, 2, 'once in the sidebar, once in the phone menu');
    assert.match(signedIn, /Signed in as Ada Lovelace \(admin\)/);
    assert.match(
      signedIn,
      /<form method="post" action="\/logout">\n<input type="hidden" name="csrf_token" value="token-123">\n<button type="submit">Sign out<\/button>\n<\/form>/,
    );
    const header = signedIn.slice(signedIn.indexOf('<header'), signedIn.indexOf('</header>'));
    assert.match(header, /action="\/logout"/, 'the sign-out form is in the header');
  });

  test('flash messages sit at the top of main: errors as role=alert, success and info as role=status', () => {
    const main = signedIn.slice(signedIn.indexOf('<main>'), signedIn.indexOf('</main>'));
    assert.match(main, /^<main>\n<div class="flash flash-success"><svg class="icon"[^]*?<\/svg><div role="status">Account saved<\/div><\/div>/);
    assert.match(main, /<div class="flash flash-error"><svg class="icon"[^]*?<\/svg><div role="alert">Could not email the invoice<\/div><\/div>/);
    assert.match(main, /<div class="flash flash-info"><svg class="icon"[^]*?<\/svg><div role="status">Prices change on Monday<\/div><\/div>\n<h1>Accounts<\/h1>/);
  });

  test('with no user there is no user area and no sign-out form', () => {
    const anonymous = layout({ title: 'Sign in', body: html`<h1>Sign in</h1>`, nav: [{ href: '/', label: 'Home' }] });
    assert.match(anonymous, /<nav aria-label="Main" class="sidebar">/);
    assert.doesNotMatch(anonymous, /Signed in as|signed-in|\/logout|csrf_token/);
  });

  test('escapes the title, nav labels, hrefs, user, token and flash text', () => {
    const markup = layout({
      title: EVIL,
      body: html`<p>${EVIL}</p>`,
      nav: [{ href: `/search?q=${EVIL}`, label: EVIL }],
      user: { name: EVIL, role: EVIL },
      csrfToken: EVIL,
      flash: [{ kind: 'error', text: EVIL }],
    });
    assertEscaped(markup, 10);
    assert.match(markup, /<title>&lt;script&gt;/);
  });

  test('has no inline script or style', () => {
    assert.doesNotMatch(signedIn, /<script|<style|\sstyle=|\son[a-z]+=/i);
  });

  test('refuses a nav link that leaves the site or runs script', () => {
    assert.throws(() => layout({ title: 't', body: html``, nav: [{ href: 'javascript:alert(1)', label: 'x' }] }), /not a link inside this site/);
  });
});

describe('siteHref', () => {
  test('accepts paths, queries and fragments', () => {
    for (const href of ['/', '/accounts?page=2&q=a:b', '?page=3', '#name', 'edit', '/a/b:c']) assert.equal(siteHref(href), href);
  });

  test('refuses schemes and other hosts, however spelled', () => {
    for (const href of ['javascript:alert(1)', ' JavaScript:alert(1)', 'java\tscript:alert(1)', '\u0001javascript:x', 'data:text/html,x', 'https://evil.example/', '//evil.example', '/\\evil.example', '\\\\evil.example']) {
      assert.throws(() => siteHref(href), /not a link inside this site/, href);
    }
  });
});

describe('field', () => {
  test('binds the label to the input by id and renders the value and attributes', () => {
    const markup = field({ name: 'acctid', label: 'Account ID', value: 'ACCT100', maxLength: 15, autocomplete: 'off', required: true, autofocus: true }).value;
    assert.equal(
      markup,
      '<div class="field">\n<label for="acctid">Account ID</label>\n<input type="text" id="acctid" name="acctid" value="ACCT100" maxlength="15" autocomplete="off" required autofocus>\n</div>',
    );
  });

  test('an error marks the input invalid and aria-describedby names the hint and the error, which exist with those ids', () => {
    const markup = field({ name: 'email', label: 'Email', type: 'email', hint: 'We send invoices here', error: 'Enter an email address' }).value;
    assert.match(markup, /<label for="email">Email<\/label>/);
    assert.match(markup, /<input type="email" id="email" name="email" aria-invalid="true" aria-describedby="email-hint email-error">/);
    const describedBy = /aria-describedby="([^"]*)"/.exec(markup)?.[1]?.split(' ') ?? [];
    assert.deepEqual(describedBy, ['email-hint', 'email-error']);
    assert.match(elementWithId(markup, 'email-error') ?? '', /^<p class="field-error" id="email-error">Enter an email address$/);
    assert.match(elementWithId(markup, 'email-hint') ?? '', /^<p class="hint" id="email-hint">We send invoices here$/);
  });

  test('without an error there is no aria-invalid; a custom id is used by label, hint and error', () => {
    assert.doesNotMatch(field({ name: 'q', label: 'Search' }).value, /aria-/);
    const markup = field({ name: 'user[name]', id: 'user-name', label: 'Name', error: 'Required' }).value;
    assert.match(markup, /<label for="user-name">/);
    assert.match(markup, /id="user-name" name="user\[name\]"/);
    assert.match(markup, /aria-describedby="user-name-error"/);
    assert.ok(elementWithId(markup, 'user-name-error'));
  });

  test('a password field never echoes its value', () => {
    assert.doesNotMatch(field({ name: 'password', label: 'Password', type: 'password', value: 'hunter2' }).value, /hunter2|value=/);
  });

  test('escapes name, label, value, hint, error, autocomplete and id', () => {
    const markup = field({ name: EVIL, id: 'x', label: EVIL, value: EVIL, hint: EVIL, error: EVIL, autocomplete: EVIL }).value;
    assertEscaped(markup, 6);
    assertEscaped(field({ name: 'n', id: EVIL, label: 'l' }).value, 2);
  });

  test('keeps SafeHtml in the label as markup', () => {
    assert.match(field({ name: 'n', label: html`Name <abbr title="required">*</abbr>` }).value, /<abbr title="required">\*<\/abbr>/);
  });

  test('refuses an id with spaces (aria-describedby could not name it)', () => {
    assert.throws(() => field({ name: 'first name', label: 'First name' }), /without spaces/);
  });
});

describe('select', () => {
  const ROLES = [
    { value: 'admin', label: 'Admin' },
    { value: 'viewer', label: 'Viewer' },
  ];

  test('binds the label to the select by id and marks the chosen option selected', () => {
    assert.equal(
      select({ name: 'role', label: 'Role', choices: ROLES, value: 'viewer', required: true }).value,
      '<div class="field">\n<label for="role">Role</label>\n<select id="role" name="role" required>\n<option value="admin">Admin</option>\n<option value="viewer" selected>Viewer</option>\n</select>\n</div>',
    );
  });

  test('without a matching value no option is marked selected (the browser shows the first)', () => {
    assert.doesNotMatch(select({ name: 'role', label: 'Role', choices: ROLES, value: 'owner' }).value, /selected/);
  });

  test('an error and a hint describe the select like a field, with a custom id', () => {
    const markup = select({ name: 'role', id: 'role-7', label: 'Role', choices: ROLES, hint: 'What they may do', error: 'Choose a role' }).value;
    assert.match(markup, /<label for="role-7">Role<\/label>/);
    assert.match(markup, /<select id="role-7" name="role" aria-invalid="true" aria-describedby="role-7-hint role-7-error">/);
    assert.match(elementWithId(markup, 'role-7-error') ?? '', /^<p class="field-error" id="role-7-error">Choose a role$/);
    assert.match(elementWithId(markup, 'role-7-hint') ?? '', /^<p class="hint" id="role-7-hint">What they may do$/);
  });

  test('escapes name, label, values, choice labels, hint and error', () => {
    assertEscaped(select({ name: EVIL, id: 'x', label: EVIL, choices: [{ value: EVIL, label: EVIL }], value: EVIL, hint: EVIL, error: EVIL }).value, 6);
  });

  test('refuses no choices and an id with spaces', () => {
    assert.throws(() => select({ name: 'role', label: 'Role', choices: [] }), /at least one choice/);
    assert.throws(() => select({ name: 'new role', label: 'Role', choices: ROLES }), /without spaces/);
  });
});

describe('hiddenField and form', () => {
  test('hiddenField escapes name and value', () => {
    assert.equal(hiddenField('version', 3).value, '<input type="hidden" name="version" value="3">');
    assertEscaped(hiddenField(EVIL, EVIL).value, 2);
  });

  test('a POST form always carries the CSRF token first, then the fields, then the button', () => {
    const markup = form({ action: '/accounts/7', csrfToken: 'tok', fields: [field({ name: 'name', label: 'Name' }), hiddenField('version', 2)], submitLabel: 'Save' }).value;
    assert.match(
      markup,
      /^<form method="post" action="\/accounts\/7">\n<input type="hidden" name="csrf_token" value="tok">\n<div class="field">[^]*<input type="hidden" name="version" value="2">\n<button type="submit">Save<\/button>\n<\/form>$/,
    );
  });

  test('a GET form (a search) carries no token, which would end up in the URL', () => {
    const markup = form({ method: 'get', action: '/accounts', fields: field({ name: 'q', label: 'Search', type: 'search' }), submitLabel: 'Search' }).value;
    assert.match(markup, /^<form method="get" action="\/accounts">/);
    assert.doesNotMatch(markup, /csrf_token/);
  });

  test('escapes the action, the token and the submit label', () => {
    assertEscaped(form({ action: `/x?${EVIL}`, csrfToken: EVIL, fields: [], submitLabel: EVIL }).value, 3);
  });

  test('takes no string as markup: the type refuses it and the runtime escapes it', () => {
    // @ts-expect-error fields are SafeHtml, never a string
    assertEscaped(form({ action: '/', csrfToken: 't', fields: [EVIL], submitLabel: 'Go' }).value, 1);
  });

  test('refuses an action that leaves the site', () => {
    assert.throws(() => form({ action: 'javascript:alert(1)', csrfToken: 't', fields: [], submitLabel: 'Go' }), /not a link inside this site/);
  });
});

describe('table', () => {
  interface Account {
    id: string;
    owner: string;
    balance: string;
  }
  const columns = [
    { header: 'Account', cell: (row: Account) => row.id, rowHeader: true },
    { header: 'Owner', cell: (row: Account) => row.owner },
    { header: 'Balance', cell: (row: Account) => row.balance, numeric: true },
  ];

  test('renders a caption, column headers with scope, and one row per item', () => {
    const markup = table({ caption: 'Accounts', columns, rows: [{ id: 'ACCT100', owner: 'Ada', balance: '40.00 USD' }], empty: 'No accounts' }).value;
    assert.match(markup, /^<table>\n<caption>Accounts<\/caption>\n<thead>\n<tr><th scope="col">Account<\/th><th scope="col">Owner<\/th><th scope="col" class="num">Balance<\/th><\/tr>/);
    assert.match(markup, /<tr><th scope="row">ACCT100<\/th><td>Ada<\/td><td class="num">40.00 USD<\/td><\/tr>/);
    assert.doesNotMatch(markup, /No accounts/);
  });

  test('with no rows, one row across every column says so', () => {
    const markup = table({ caption: 'Accounts', columns, rows: [], empty: 'No accounts match' }).value;
    assert.match(markup, /<tbody>\n<tr class="empty"><td colspan="3">No accounts match<\/td><\/tr>\n<\/tbody>/);
  });

  test('escapes caption, headers, cells and the empty text; keeps SafeHtml cells', () => {
    const evilColumns = [
      { header: EVIL, cell: (row: Account) => row.id },
      { header: 'Link', cell: (row: Account) => html`<a href="/accounts/${row.id}">${row.owner}</a>` },
    ];
    assertEscaped(table({ caption: EVIL, columns: evilColumns, rows: [{ id: EVIL, owner: EVIL, balance: '' }], empty: EVIL }).value, 5);
    assertEscaped(table({ caption: 'c', columns: evilColumns, rows: [], empty: EVIL }).value, 2);
    assert.match(table({ caption: 'c', columns: evilColumns, rows: [{ id: '7', owner: 'Ada', balance: '' }], empty: '' }).value, /<td><a href="\/accounts\/7">Ada<\/a><\/td>/);
  });
});

describe('pager', () => {
  const href = (page: number) => `/accounts?q=a&page=${page}`;

  test('a middle page links to the previous and next pages', () => {
    assert.equal(
      pager({ page: 2, pageSize: 10, total: 64, href }).value,
      '<nav class="pager" aria-label="Pagination">\n<a href="/accounts?q=a&amp;page=1" rel="prev">Previous</a>\n<span class="pager-status">Page 2 of 7</span>\n<a href="/accounts?q=a&amp;page=3" rel="next">Next</a>\n</nav>',
    );
  });

  test('on the first page Previous is plain text', () => {
    const markup = pager({ page: 1, pageSize: 10, total: 64, href }).value;
    assert.match(markup, /<span class="pager-disabled">Previous<\/span>/);
    assert.doesNotMatch(markup, /rel="prev"/);
    assert.match(markup, /Page 1 of 7/);
    assert.match(markup, /<a href="\/accounts\?q=a&amp;page=2" rel="next">Next<\/a>/);
  });

  test('on the last page Next is plain text', () => {
    const markup = pager({ page: 7, pageSize: 10, total: 64, href }).value;
    assert.match(markup, /<a href="\/accounts\?q=a&amp;page=6" rel="prev">Previous<\/a>/);
    assert.match(markup, /Page 7 of 7/);
    assert.match(markup, /<span class="pager-disabled">Next<\/span>/);
    assert.doesNotMatch(markup, /rel="next"/);
  });

  test('an exact multiple of the page size, an empty list, and a page past the end', () => {
    assert.match(pager({ page: 1, pageSize: 10, total: 70, href }).value, /Page 1 of 7/);
    const empty = pager({ page: 1, pageSize: 10, total: 0, href }).value;
    assert.match(empty, /Page 1 of 1/);
    assert.doesNotMatch(empty, /<a /);
    const past = pager({ page: 9, pageSize: 10, total: 64, href }).value;
    assert.match(past, /Page 9 of 7/);
    assert.match(past, /href="\/accounts\?q=a&amp;page=7" rel="prev"/);
    assert.doesNotMatch(past, /rel="next"/);
  });

  test('escapes hrefs and refuses one that leaves the site', () => {
    assertEscaped(pager({ page: 2, pageSize: 1, total: 3, href: () => `/x?q=${EVIL}` }).value, 2);
    assert.throws(() => pager({ page: 2, pageSize: 1, total: 3, href: () => 'javascript:alert(1)' }), /not a link inside this site/);
  });

  test('refuses pages, sizes and totals that are not counts', () => {
    for (const [page, pageSize, total] of [[0, 10, 5], [1.5, 10, 5], [1, 0, 5], [1, 10, -1], [Number.NaN, 10, 5], [1, 10, Number.POSITIVE_INFINITY]] as const) {
      assert.throws(() => pager({ page, pageSize, total, href }), RangeError);
    }
  });
});

describe('flash and errorSummary', () => {
  test('flash gives each kind its role and escapes the text; no messages render nothing', () => {
    const markup = flash([
      { kind: 'error', text: EVIL },
      { kind: 'success', text: EVIL },
      { kind: 'info', text: EVIL },
    ]).value;
    assertEscaped(markup, 3);
    assert.match(markup, /class="flash flash-error"><svg[^]*?<\/svg><div role="alert"/);
    assert.match(markup, /class="flash flash-success"><svg[^]*?<\/svg><div role="status"/);
    assert.match(markup, /class="flash flash-info"><svg[^]*?<\/svg><div role="status"/);
    assert.equal(flash([]).value, '');
  });

  test('errorSummary lists each error, linking to its field, and escapes everything', () => {
    const markup = errorSummary([{ field: 'email', message: 'Enter an email address' }, { message: 'Try again later' }]).value;
    assert.equal(
      markup,
      '<div class="error-summary" role="alert">\n<h2>There is a problem</h2>\n<ul>\n<li><a href="#email">Enter an email address</a></li>\n<li>Try again later</li>\n</ul>\n</div>',
    );
    assertEscaped(errorSummary([{ field: EVIL, message: EVIL }], EVIL).value, 3);
    assert.equal(errorSummary([]).value, '');
  });

  test('a summary link points at the field that has the error', () => {
    const markup = form({
      action: '/accounts/7',
      csrfToken: 't',
      fields: [errorSummary([{ field: 'owner', message: 'Enter the owner' }]), field({ name: 'owner', label: 'Owner', error: 'Enter the owner' })],
      submitLabel: 'Save',
    }).value;
    const target = /<a href="#([^"]+)">/.exec(markup)?.[1] ?? '';
    assert.match(elementWithId(markup, target) ?? '', /^<input /);
  });

  test('components compose into SafeHtml that html`` keeps as is', () => {
    const composed = html`<section>${flash([{ kind: 'info', text: 'Hi' }])}</section>`;
    assert.ok(composed instanceof SafeHtml);
    assert.match(composed.value, /^<section><div class="flash flash-info"><svg class="icon"[^]*?<\/svg><div role="status">Hi<\/div><\/div><\/section>$/);
  });
});
