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

export interface ColumnGroup {
  /** Under the columns ("W48"). */
  readonly label: string;
  readonly bars: readonly ChartBar[];
}

export interface ColumnChartOptions extends Pick<BarChartOptions, 'id' | 'title' | 'description'> {
  readonly groups: readonly ColumnGroup[];
  readonly legend: readonly ChartSeries[];
  /** A value on the vertical axis, in short units ("12.3K"). */
  readonly axisLabel: (value: number) => string;
}

/** The smallest 1, 2 or 5 times a power of ten at or above `value` (an axis top people read easily). */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((step) => step * power >= value) ?? 10) * power;
}

const COLUMN_HEIGHT = 200;
const AXIS_LEFT = 44;
const AXIS_BOTTOM = 20;
const LEGEND_HEIGHT = 24;

/**
 * A column chart over time: one group of columns per period on a shared
 * axis from zero, gridlines with short labels, and the baseline always
 * drawn, so an empty period shows as the baseline alone.
 */
export function columnChart({ id, title, description, groups, legend, axisLabel }: ColumnChartOptions): SafeHtml {
  const top = niceCeiling(Math.max(0, ...groups.flatMap((group) => group.bars.map((bar) => bar.value))));
  const plotTop = LEGEND_HEIGHT + 6;
  const plotHeight = COLUMN_HEIGHT - plotTop - AXIS_BOTTOM;
  const baseline = plotTop + plotHeight;
  const slot = (WIDTH - AXIS_LEFT) / Math.max(1, groups.length);
  const series = Math.max(1, ...groups.map((group) => group.bars.length));
  const barWidth = Math.max(2, (slot - 6) / series);
  const round = (n: number) => Number(n.toFixed(1));
  const grid = [0.25, 0.5, 0.75, 1].map((share) => {
    const y = round(baseline - share * plotHeight);
    return html`<line class="chart-grid" x1="${AXIS_LEFT}" x2="${WIDTH}" y1="${y}" y2="${y}"></line><text class="chart-axis" x="${AXIS_LEFT - 6}" y="${y + 4}" text-anchor="end">${axisLabel(top * share)}</text>`;
  });
  const columns = groups.map((group, index) => {
    const left = AXIS_LEFT + index * slot + 3;
    const bars = group.bars.map((bar, at) => {
      const height = bar.value <= 0 ? 0 : Math.max(1.5, (bar.value / top) * plotHeight);
      return html`<rect class="${bar.series.className}" x="${round(left + at * barWidth)}" y="${round(baseline - height)}" width="${round(barWidth - 1)}" height="${round(height)}"><title>${group.label} ${bar.series.name}: ${bar.text}</title></rect>`;
    });
    // Past eight periods every other one is labelled, so the labels stay apart at 375 px.
    const labelled = groups.length <= 8 || (groups.length - 1 - index) % 2 === 0;
    return html`<g>${bars}${labelled ? html`<text class="chart-axis" x="${round(left + (slot - 6) / 2)}" y="${baseline + 14}" text-anchor="middle">${group.label}</text>` : ''}</g>`;
  });
  return html`<svg class="chart chart-columns" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc" viewBox="0 0 ${WIDTH} ${COLUMN_HEIGHT}" width="100%" preserveAspectRatio="xMinYMin meet" font-size="11">
<title id="${id}-title">${title}</title>
<desc id="${id}-desc">${description}</desc>
${legendRow(legend, 0)}
${grid.map((line) => html`${line}\n`)}${columns.map((column) => html`${column}\n`)}<line class="chart-baseline" x1="${AXIS_LEFT}" x2="${WIDTH}" y1="${baseline}" y2="${baseline}"></line>
<text class="chart-axis" x="${AXIS_LEFT - 6}" y="${baseline + 4}" text-anchor="end">0</text>
</svg>`;
}
