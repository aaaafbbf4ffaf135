import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { queryWords, sortName, termsOf, TERM_MAX, wordsOf } from '../../src/modules/accounts/search-terms.js';

describe('search terms: what an account is found by', () => {
  test('names are folded: lower case, accents removed', () => {
    assert.deepEqual(wordsOf('ACCT1', 'Zoë MÜLLER'), ['acct1', 'zoe', 'muller']);
    assert.equal(sortName('  Émile   Dubois '), 'emile dubois');
  });

  test('a hyphenated word is a term whole and in parts', () => {
    assert.deepEqual(wordsOf('A-1', 'Jean-Luc Picard'), ['a-1', 'jean-luc', 'jean', 'luc', 'picard']);
  });

  test('punctuation around words is dropped, and an apostrophe joins', () => {
    assert.deepEqual(wordsOf('X', "O'Brien, Ltd."), ['x', 'obrien', 'o', 'brien', 'ltd.', 'ltd']);
  });

  test('a search is folded the same way, so case and accents never matter', () => {
    assert.deepEqual(queryWords('  MÜLLER  zoë '), ['muller', 'zoe']);
    assert.deepEqual(queryWords('acct-1'), ['acct-1']);
  });

  test('blank and symbol-only searches have no words; repeated words count once; at most five', () => {
    assert.deepEqual(queryWords('   '), []);
    assert.deepEqual(queryWords('%% ** ;'), []);
    assert.deepEqual(queryWords('a a b c d e f g'), ['a', 'b', 'c', 'd', 'e']);
  });

  test('every prefix of every word is stored, once', () => {
    assert.deepEqual(termsOf('AB1', 'Abe'), ['a', 'ab', 'ab1', 'abe']);
  });

  test('long words are cut to the stored length, so a search for them still matches', () => {
    const long = 'x'.repeat(100);
    assert.equal(Math.max(...termsOf('A', long).map((term) => term.length)), TERM_MAX);
    assert.equal(queryWords(long)[0]?.length, TERM_MAX);
  });

  test('a word is cut between characters, never inside one', () => {
    const emoji = '😀'.repeat(20);
    assert.equal([...(queryWords(`a${emoji}`)[0] ?? '')].length, 1, 'an emoji is not a letter: dropped');
    assert.equal([...(wordsOf('A', 'ñ'.repeat(20))[1] ?? '')].length, TERM_MAX);
  });

  test('the terms are exactly every prefix of every word, in whole characters, for any id and name', () => {
    // Accented, non-Latin and astral characters, compatibility forms, marks, separators and the id's punctuation.
    const pieces = ['a', 'Z', '0', '-', '.', '_', ' ', "'", 'é', 'Ü', 'ß', 'İ', 'ǅ', 'ﬁ', 'Ａ', 'ж', '中', '😀', '𝐀', '\u0301', '\t'];
    const text = fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, text, (acctid, name) => {
        const expected = new Set<string>();
        for (const word of wordsOf(acctid, name)) {
          const characters = Array.from(word);
          for (let length = 1; length <= characters.length; length++) expected.add(characters.slice(0, length).join(''));
        }
        assert.deepEqual(termsOf(acctid, name), [...expected]);
        for (const word of wordsOf(acctid, name)) assert.ok(Array.from(word).length <= TERM_MAX);
      }),
      { numRuns: 500 },
    );
  });
});
