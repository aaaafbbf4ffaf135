/**
 * Characters that show nothing: white space, format characters (zero-width
 * space and joiners, word joiner, byte-order mark, soft hyphen, direction
 * marks), control characters, the combining grapheme joiner, and the blank
 * fillers of Hangul and Braille.
 */
const INVISIBLE = /^[\p{White_Space}\p{Cf}\p{Cc}\u034f\u115f\u1160\u3164\uffa0\u2800]*$/u;

/** Whether `text` shows nothing to a reader: a memo of zero-width spaces is no memo. */
export function isBlank(text: string): boolean {
  return INVISIBLE.test(text);
}
