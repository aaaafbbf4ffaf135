/**
 * A small model of Docker's .dockerignore matching, enough for this
 * project's file: the last matching pattern wins, `!` re-includes, `*` and
 * `?` stay within one path segment, `**` spans segments, and a pattern that
 * matches a directory covers everything below it.
 */
function toRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '*' && pattern.charAt(i + 1) === '*') {
      if (pattern.charAt(i + 2) === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // eslint-disable-next-line security/detect-non-literal-regexp -- built from the project's own .dockerignore, not from input
  return new RegExp(`^${source}$`);
}

export function isIgnored(dockerignore: string, file: string): boolean {
  const prefixes = file.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of dockerignore.split('\n')) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    line = line.replace(/^\/+/, '').replace(/\/+$/, '');
    const re = toRegExp(line);
    if (prefixes.some((p) => re.test(p))) ignored = !negate;
  }
  return ignored;
}
