/**
 * The aging totals as one stacked horizontal bar, inline SVG drawn on the
 * server (no script, no inline style: colours are classes in crm.css that
 * follow the light or dark scheme). role="img" named by its <title> and
 * described by its <desc>; each segment carries its figure in a <title>, the
 * legend under the bar writes every figure, and the page puts the same
 * figures in a table beside it. Credit (negative) is not a length: the legend
 * and the table give it.
 */
import { html, type SafeHtml } from '../../platform/views/html.js';
import { money } from '../../platform/views/format.js';
import { AGING_BUCKETS } from '../ledger/index.js';
import type { AgingTotals } from './aging-report.js';

const WIDTH = 360;
const FONT = 13;
const BAR = 22;
const SWATCH = 12;
const LINE = 20;

/** The class of each bucket's colour in crm.css, oldest darkest. */
export const BUCKET_CLASSES = ['aging-current', 'aging-1-30', 'aging-31-60', 'aging-61-90', 'aging-over-90'] as const;

const share = (part: bigint, whole: bigint) => (whole <= 0n ? 0 : Number((part * 10_000n) / whole) / 100);

export interface AgingChartOptions {
  /** Unique on the page: the ids of the title and desc derive from it. */
  readonly id: string;
  readonly title: string;
  readonly totals: AgingTotals;
}

export function agingChart({ id, title, totals }: AgingChartOptions): SafeHtml {
  const owed = AGING_BUCKETS.reduce((sum, bucket) => sum + (totals[bucket.key] > 0n ? totals[bucket.key] : 0n), 0n);
  let x = 0;
  const segments = AGING_BUCKETS.map((bucket, index) => {
    const value = totals[bucket.key];
    const width = owed <= 0n || value <= 0n ? 0 : Number(((Number((value * 1_000_000n) / owed) / 1_000_000) * WIDTH).toFixed(1));
    const at = Number(x.toFixed(1));
    x += width;
    return width <= 0
      ? html``
      : html`<rect class="${BUCKET_CLASSES[index]}" x="${at}" y="0" width="${width}" height="${BAR}"><title>${bucket.label}: ${money(value)} (${share(value, owed)}%)</title></rect>`;
  });
  const legend = AGING_BUCKETS.map((bucket, index) => {
    const y = BAR + 14 + index * LINE;
    return html`<g><rect class="${BUCKET_CLASSES[index]}" x="0" y="${y}" width="${SWATCH}" height="${SWATCH}" rx="2"></rect><text x="${SWATCH + 6}" y="${y + SWATCH - 1}">${bucket.label}</text><text class="chart-value" x="${WIDTH}" y="${y + SWATCH - 1}" text-anchor="end">${money(totals[bucket.key])} · ${share(totals[bucket.key], owed)}%</text></g>`;
  });
  const creditY = BAR + 14 + AGING_BUCKETS.length * LINE + 6;
  const height = creditY + 2 * LINE;
  const described = AGING_BUCKETS.map((bucket) => `${bucket.label} ${money(totals[bucket.key])} (${share(totals[bucket.key], owed)}%)`).join('; ');
  const empty = owed <= 0n ? html`<rect class="aging-empty" x="0" y="0" width="${WIDTH}" height="${BAR}"></rect>` : html``;
  return html`<svg class="chart aging-chart" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMinYMin meet" font-size="${FONT}">
<title id="${id}-title">${title}</title>
<desc id="${id}-desc">What is owed, by days past due, as one bar: ${described}. Unapplied credit ${money(totals.creditCents)}; total ${money(totals.totalCents)}.</desc>
${empty}${segments}
${legend}
<line class="chart-grid" x1="0" x2="${WIDTH}" y1="${creditY - 4}" y2="${creditY - 4}"></line>
<text class="chart-note" x="0" y="${creditY + SWATCH}">Unapplied credit</text><text class="chart-note" x="${WIDTH}" y="${creditY + SWATCH}" text-anchor="end">${money(totals.creditCents)}</text>
<text class="chart-label" x="0" y="${creditY + LINE + SWATCH}">Total</text><text class="chart-label" x="${WIDTH}" y="${creditY + LINE + SWATCH}" text-anchor="end">${money(totals.totalCents)}</text>
</svg>`;
}
