import anyAscii from 'any-ascii';

/**
 * The PDF's fonts are the standard Helvetica faces, which need no font file
 * and write text in WinAnsi (Windows-1252): printable ASCII, Latin-1 (é, ü,
 * ñ, ß, Å) and a few more (€, –, —, “ ”, Œ, Š, Ž…). pdfkit writes any other
 * character as a wrong glyph. So text is cut down to WinAnsi here: what it
 * has stays, every other character becomes its ASCII transliteration
 * (any-ascii: "Łódź" → "Lodz", "Дмитрий" → "Dmitriy", "北京" → "BeiJing"),
 * and control characters become spaces.
 */
const WIN_ANSI_EXTRAS = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

function inWinAnsi(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRAS.has(char);
}

/** Text the PDF's standard fonts can show, keeping every character they have. */
export function pdfText(text: string): string {
  let out = '';
  // Composed first, so "é" written as e + a combining accent is the one Latin-1 character.
  for (const char of text.normalize('NFC')) {
    if (inWinAnsi(char)) out += char;
    else if (/\p{Cc}/u.test(char)) out += ' ';
    else out += anyAscii(char);
  }
  return out;
}
