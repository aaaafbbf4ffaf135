/**
 * Bar charts as inline SVG, drawn on the server: no script, no inline style
 * (the CSP allows neither), colours from classes in public/crm.css so they
 * follow the light or dark scheme. Each chart is role="img" named by its
 * <title> and described by its <desc>; every bar carries its value as text,
 * and the page puts the same figures in a table next to it.
 *
 * Bars are horizontal, one row per item with its label above: the text stays
 * legible when the chart shrinks to a 375 px screen (the viewBox scales it),
 * and long values never collide with their neighbours.
 */
import { html, type SafeHtml } from '../../platform/views/html.js';

/** The drawing's own units; the SVG scales to its container's width. */
const WIDTH = 360;
const FONT = 13;
const BAR = 15;

export interface ChartSeries {
  readonly key: string;
  readonly name: string;
  /** The bar's class in crm.css (its fill in each scheme). */
  readonly className: string;
}

export interface ChartBar {
  readonly series: ChartSeries;
  /** What the bar's length shows; never negative. */
  readonly value: number;
  /** The value as the page shows it, drawn at the bar's end. */
  readonly text: string;
}

export interface ChartGroup {
  readonly label: string;
  /** Shown after the label, quieter (a date, a total). */
  readonly note?: string;
  readonly bars: readonly ChartBar[];
}

export interface BarChartOptions {
  /** Unique on the page: the ids of the title and desc derive from it. */
  readonly id: string;
  readonly title: string;
  /** What the chart shows and what stands out, for those who do not see it. */
  readonly description: string;
  readonly groups: readonly ChartGroup[];
  /** A legend row at the top, for charts with more than one series. */
  readonly legend?: readonly ChartSeries[];
}

/** Rough width of a text in drawing units (system-ui at FONT): enough to keep a value label inside the drawing. */
function textWidth(text: string): number {
  return text.length * FONT * 0.6;
}

function legendRow(series: readonly ChartSeries[], y: number): SafeHtml {
  let x = 0;
  const items = series.map((item) => {
    const at = x;
    x += BAR + 6 + textWidth(item.name) + 18;
    return html`<g><rect class="${item.className}" x="${at}" y="${y}" width="${BAR}" height="${BAR}" rx="2"></rect><text x="${at + BAR + 6}" y="${y + BAR - 3}">${item.name}</text></g>`;
  });
  return html`<g class="chart-legend">${items}</g>`;
}

/**
 * A horizontal bar chart: per group a label line, then one bar per series
 * with its value at the end. Bar lengths share one scale across the chart.
 */
export function barChart({ id, title, description, groups, legend = [] }: BarChartOptions): SafeHtml {
  const labelsRight = Math.max(0, ...groups.flatMap((group) => group.bars.map((bar) => textWidth(bar.text)))) + 8;
  const room = Math.max(40, WIDTH - labelsRight);
  const largest = Math.max(0, ...groups.flatMap((group) => group.bars.map((bar) => bar.value)));
  const length = (value: number) => (largest <= 0 || value <= 0 ? 0 : Math.max(2, (value / largest) * room));

  let y = 0;
  const parts: SafeHtml[] = [];
  if (legend.length > 0) {
    parts.push(legendRow(legend, y));
    y += BAR + 14;
  }
  for (const group of groups) {
    y += FONT;
    parts.push(
      html`<text class="chart-label" x="0" y="${y}">${group.label}${group.note === undefined ? '' : html`<tspan class="chart-note" dx="6">${group.note}</tspan>`}</text>`,
    );
    y += 4;
    for (const bar of group.bars) {
      const width = Number(length(bar.value).toFixed(1));
      parts.push(
        html`<rect class="${bar.series.className}" x="0" y="${y}" width="${width}" height="${BAR}" rx="2"><title>${bar.series.name}: ${bar.text}</title></rect><text class="chart-value" x="${Number((width + 4).toFixed(1))}" y="${y + BAR - 3}">${bar.text}</text>`,
      );
      y += BAR + 2;
    }
    y += 10;
  }
  const height = y;
  return html`<svg class="chart" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMinYMin meet" font-size="${FONT}">
<title id="${id}-title">${title}</title>
<desc id="${id}-desc">${description}</desc>
${parts.map((part) => html`${part}\n`)}</svg>`;
}
