import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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
});
