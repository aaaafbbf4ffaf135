import { html, type SafeHtml } from './html.js';

/** A moment as staff pages write it in running text: to the minute, in UTC, the same for every viewer ("2026-11-29 09:05 UTC"). */
export function shownTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A moment on a page: `<time>` with the machine-readable instant, shown to the minute, the exact instant on hover. */
export function timeTag(ms: number): SafeHtml {
  const exact = new Date(ms).toISOString();
  return html`<time datetime="${exact}" title="${exact}">${shownTime(ms)}</time>`;
}
