import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderMail } from '../../src/platform/mail/index.js';

const company = { name: 'Globomantics & Co.', address: ['1 Main Street', 'Springfield, IL 62701'] };

describe('renderMail', () => {
  test('the text part holds the greeting, paragraphs, an aligned table, the link and the signature, in that order', () => {
    const { text } = renderMail({
      company,
      greeting: 'Dear Ms Smith,',
      paragraphs: ['Two invoices are overdue.', 'Please pay them.'],
      table: { head: ['Invoice', 'Amount', 'Days late'], rows: [['INV-1', '12.50 USD', '7'], ['INV-22', '1,200.00 USD', '31']] },
      link: { href: 'https://crm.example.com/s/abc', text: 'Your statement' },
    });
    assert.equal(
      text,
      [
        'Dear Ms Smith,',
        'Two invoices are overdue.',
        'Please pay them.',
        'Invoice        Amount  Days late\n-------  ------------  ---------\nINV-1       12.50 USD          7\nINV-22   1,200.00 USD         31',
        'Your statement:\nhttps://crm.example.com/s/abc',
        'Globomantics & Co.\n1 Main Street\nSpringfield, IL 62701',
      ].join('\n\n'),
    );
  });

  test('the HTML part escapes every value and is signed with the company', () => {
    const { html } = renderMail({
      company,
      greeting: 'Dear <script>alert(1)</script>,',
      paragraphs: ['Tom & "Jerry" <b>'],
      table: { head: ['<th>'], rows: [['<img src=x onerror=alert(1)>']] },
      link: { href: 'https://crm.example.com/s/a"b<c', text: 'Open <now>' },
    });
    assert.doesNotMatch(html, /<script>|<img|<b>|<th>[^<]/);
    assert.match(html, /Dear &lt;script&gt;alert\(1\)&lt;\/script&gt;,/);
    assert.match(html, /Tom &amp; &quot;Jerry&quot; &lt;b&gt;/);
    assert.match(html, /href="https:\/\/crm.example.com\/s\/a&quot;b&lt;c"/);
    assert.match(html, /Globomantics &amp; Co\.<br>1 Main Street<br>Springfield, IL 62701/);
  });

  test('parts left out leave nothing behind', () => {
    const { text, html } = renderMail({ company: { name: 'Globomantics', address: [] }, paragraphs: ['Hello.'] });
    assert.equal(text, 'Hello.\n\nGlobomantics');
    assert.doesNotMatch(html, /<table|<a /);
  });
});
