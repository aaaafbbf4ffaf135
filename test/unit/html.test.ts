import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { html } from '../../src/platform/views/html.js';
import { crossSiteReason } from '../../src/platform/http/same-origin.js';

describe('html', () => {
  test('escapes every interpolated value but nested html', () => {
    const inner = html`<b>${'<i>'}</b>`;
    assert.equal(html`<p title="${'"x" & y'}">${inner}${['<a>', 1]}${undefined}</p>`.value, '<p title="&quot;x&quot; &amp; y"><b>&lt;i&gt;</b>&lt;a&gt;1</p>');
  });
});

describe('crossSiteReason', () => {
  const host = 'crm.example:5000';
  test('accepts same-origin requests and requests that name no origin', () => {
    assert.equal(crossSiteReason({}, host), undefined);
    assert.equal(crossSiteReason({ origin: 'https://crm.example:5000', referer: 'https://crm.example:5000/' }, host), undefined);
    assert.equal(crossSiteReason({ 'sec-fetch-site': 'same-origin' }, host), undefined);
    assert.equal(crossSiteReason({ 'sec-fetch-site': 'none' }, host), undefined);
  });

  test('refuses another origin, a plain-HTTP origin, a null origin, a foreign referer and cross-site fetches', () => {
    assert.match(String(crossSiteReason({ origin: 'https://evil.example' }, host)), /another origin/);
    assert.match(String(crossSiteReason({ origin: 'http://crm.example:5000' }, host)), /another origin/);
    assert.match(String(crossSiteReason({ origin: 'null' }, host)), /another origin/);
    assert.match(String(crossSiteReason({ referer: 'https://evil.example/x' }, host)), /referred by another site/);
    assert.match(String(crossSiteReason({ referer: 'garbage' }, host)), /referred by another site/);
    assert.match(String(crossSiteReason({ 'sec-fetch-site': 'same-site' }, host)), /same-site/);
  });
});
