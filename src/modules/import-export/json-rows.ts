/**
 * The seed file's JSON, `[{"acctid":"ACCT100","paid":60.00,"due":100.00}]`,
 * read entry by entry with stream-json: its tokenizer is fed a line at a
 * time, so each entry keeps the line it starts on, and each entry is
 * assembled alone (amounts as their text: never a float) and bounded in
 * size. An entry that is not an object is that row's problem; text that is
 * not JSON stops the file (there is no telling where the next entry starts).
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Assembler } from 'stream-json/core/assembler.js';
import { jsonParser, type Token } from 'stream-json/core/parser.js';
import type { ReadItem } from './import-readers.js';

/** An entry longer than this (in characters of its keys and values) is not an account. */
export const JSON_ENTRY_MAX = 64 * 1024;
/** An account is an object in the array: anything nested deeper is not one. */
const JSON_DEPTH_MAX = 8;
const JSON_HELP = 'The JSON must be one array of accounts, like [{"acctid":"ACCT100","paid":60.00,"due":100.00}].';

/** A problem that stops the file. */
class StopReading extends Error {}

function rowOf(value: unknown, line: number): ReadItem {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: { line, acctid: '', reason: 'This entry is not an object like {"acctid":"ACCT100","paid":60.00,"due":100.00}.' } };
  }
  const fields = value as Record<string, unknown>;
  const own = (key: string) => (Object.hasOwn(fields, key) ? fields[key] : undefined);
  return { row: { line, acctid: own('acctid'), name: own('name'), email: own('email'), phone: own('phone'), terms_days: own('terms_days'), paid: own('paid'), due: own('due') } };
}

/** Turns the array's tokens into rows: the array's own brackets, then one assembled entry after another. */
class Entries {
  #started = false;
  #ended = false;
  #entry: Assembler | undefined;
  #entryLine = 0;
  #entryChars = 0;

  *take(tokens: readonly Token[], line: number): Generator<ReadItem> {
    for (const token of tokens) {
      if (!this.#started) {
        if (token.name !== 'startArray') throw new StopReading(`The file does not start with [. ${JSON_HELP}`);
        this.#started = true;
        continue;
      }
      if (!this.#entry) {
        if (token.name === 'endArray') {
          this.#ended = true;
          continue;
        }
        this.#entry = new Assembler({ numberAsString: true });
        this.#entryLine = line;
        this.#entryChars = 0;
      }
      this.#entryChars += 'value' in token && typeof token.value === 'string' ? token.value.length : 1;
      if (this.#entryChars > JSON_ENTRY_MAX) throw new StopReading(`The entry on line ${this.#entryLine} is longer than ${JSON_ENTRY_MAX.toLocaleString('en-US')} characters, which no account needs.`);
      this.#entry.consume(token);
      if (this.#entry.done) {
        yield rowOf(this.#entry.current, this.#entryLine);
        this.#entry = undefined;
      }
    }
  }

  /** Why the file ended too soon, if it did. */
  unfinished(): string | undefined {
    if (!this.#started) return `The file is empty. ${JSON_HELP}`;
    if (!this.#ended) return `The array is not closed with ]. ${JSON_HELP}`;
    return undefined;
  }
}

export async function* jsonRows(input: Readable): AsyncGenerator<ReadItem> {
  const tokenize = jsonParser({ packValues: true, streamValues: false, maxDepth: JSON_DEPTH_MAX, maxPackedLength: JSON_ENTRY_MAX });
  const decoder = new StringDecoder('utf8');
  const entries = new Entries();
  let line = 1;
  let first = true;
  try {
    for await (const chunk of input) {
      let text = decoder.write(chunk as Buffer);
      if (first && text !== '') {
        first = false;
        if (text.startsWith('\uFEFF')) text = text.slice(1);
      }
      for (let from = 0; from < text.length; ) {
        const end = text.indexOf('\n', from);
        const segment = end === -1 ? text.slice(from) : text.slice(from, end + 1);
        const tokens = tokenize(segment);
        if (typeof tokens !== 'symbol') yield* entries.take(tokens.values, line);
        if (end === -1) break;
        line++;
        from = end + 1;
      }
    }
  } catch (error) {
    if (error instanceof StopReading) {
      yield { error: { line, acctid: '', reason: error.message }, fatal: true };
      return;
    }
    if (!(error instanceof Error) || error.name === 'AbortError' || 'code' in error) throw error;
    // The tokenizer's own complaints: text that is not JSON, nesting or a value past the bounds.
    yield { error: { line, acctid: '', reason: `Line ${line} is not valid JSON (${error.message.replace(/^Parser cannot parse input: /, '')}). ${JSON_HELP}` }, fatal: true };
    return;
  }
  const unfinished = entries.unfinished();
  if (unfinished) yield { error: { line, acctid: '', reason: unfinished }, fatal: true };
}
