/**
 * How names become searchable: lower-cased, accents removed (NFKD, then the
 * combining marks dropped), so "Müller", "MULLER" and "muller" are one word.
 * The same functions prepare what is stored and what is searched for, so they
 * always agree; the database only compares bytes.
 */

/**
 * Longest stored prefix (the longest id). Longer words are stored and
 * searched by their first 15 characters, so two such words differing only
 * after that match each other.
 */
export const TERM_MAX = 15;
/** Most words a search uses; more would only slow it down. */
export const QUERY_WORDS_MAX = 5;

/** A character other than printable ASCII and blanks: only such text may have accents to remove (ASCII is its own NFKD form). */
const NON_ASCII = /[^ -~\t\n\r]/u;

function fold(text: string): string {
  if (!NON_ASCII.test(text)) return text.toLowerCase();
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

/** The name as it sorts: folded, blanks collapsed. */
export function sortName(name: string): string {
  return fold(name).replace(/\s+/gu, ' ').trim().slice(0, 200);
}

/** Keeps letters, digits and the id characters - _ . (an id like "ACCT-1.A" is one word). */
function word(text: string): string {
  return cut(text.replace(/[^\p{L}\p{N}._-]+/gu, ''));
}

/** The first TERM_MAX characters (code points, never half a surrogate pair). */
function cut(text: string): string {
  // No more UTF-16 units than TERM_MAX: no more characters either (an import makes millions of these).
  if (text.length <= TERM_MAX) return text;
  return [...text].slice(0, TERM_MAX).join('');
}

/**
 * What an account is found by: its id (lower-cased) and each word of its name,
 * whole ("jean-luc") and in parts ("jean", "luc").
 */
export function wordsOf(acctid: string, name: string): string[] {
  const words = new Set<string>([cut(acctid.toLowerCase())]);
  for (const token of fold(name).split(/\s+/u)) {
    const whole = word(token);
    if (whole !== '') words.add(whole);
    for (const part of token.split(/[^\p{L}\p{N}]+/u)) if (part !== '') words.add(cut(part));
  }
  return [...words];
}

/**
 * Every prefix of every word: what is stored, so that a search word is one
 * exact key whose rows the index keeps in id order (a page reads 25 of them,
 * however many accounts match).
 */
export function termsOf(acctid: string, name: string): string[] {
  const terms = new Set<string>();
  for (const word of wordsOf(acctid, name)) {
    // Grown a character (code point) at a time: never half a surrogate pair.
    let prefix = '';
    for (const character of word) {
      prefix += character;
      terms.add(prefix);
    }
  }
  return [...terms];
}

/** The words of a search box, folded the same way; each must be the start of one of the account's terms. */
export function queryWords(q: string): string[] {
  const words = fold(q)
    .split(/\s+/u)
    .map(word)
    .filter((w) => w !== '');
  return [...new Set(words)].slice(0, QUERY_WORDS_MAX);
}
