/**
 * Icons from lucide-static, read from its SVG files once at start and
 * inlined (no extra request, nothing for the CSP to allow). Every icon is
 * decoration (aria-hidden): the text or aria-label beside it says what it means.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { SafeHtml } from './html.js';

const ICON_NAMES = [
  'plus',
  'search',
  'layout-dashboard',
  'users',
  'scroll-text',
  'upload',
  'user',
  'log-out',
  'landmark',
  'menu',
  'wallet',
  'inbox',
  'circle-alert',
  'circle-check',
  'file-question',
  'pencil',
  'ban',
  'info',
  'download',
  'link',
] as const;
export type IconName = (typeof ICON_NAMES)[number];

const resolve = createRequire(import.meta.url).resolve;

/** The file's <svg> element, sized by CSS (class "icon"), hidden from assistive technology. */
function load(name: IconName): string {
  // The names are the fixed list above, not input.
  // eslint-disable-next-line security/detect-non-literal-fs-filename
  const source = readFileSync(resolve(`lucide-static/icons/${name}.svg`), 'utf8');
  const svg = source.slice(source.indexOf('<svg'));
  return svg
    .replace(/\s*\n\s*/g, ' ')
    .replace(/class="[^"]*"/, 'class="icon" aria-hidden="true" focusable="false"')
    .replace(/ width="24" height="24"/, '')
    .trim();
}

const ICONS: ReadonlyMap<IconName, SafeHtml> = new Map(ICON_NAMES.map((name) => [name, new SafeHtml(load(name))]));

export function icon(name: IconName): SafeHtml {
  const svg = ICONS.get(name);
  if (svg === undefined) throw new Error(`no icon ${name}`);
  return svg;
}
