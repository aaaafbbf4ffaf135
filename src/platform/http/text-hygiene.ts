import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * Control characters in request text: no person types them, PostgreSQL refuses
 * a NUL in text (a 500 where MariaDB and SQLite store it), and they hide in
 * logs, exports and pages. Every request body, query and path parameter goes
 * through one check before its route's schema: any control character is a 400
 * naming the field. Tab, line feed and carriage return are allowed only in
 * fields a schema marks as multi-line text (`multiLineText`).
 */

const multiLineFields = z.registry();

/** Marks a field as multi-line text (a memo, notes): it may hold tabs and line breaks, still no other control character. */
export function multiLineText<T extends z.ZodType>(schema: T): T {
  multiLineFields.add(schema);
  return schema;
}

const ANY_CONTROL = /\p{Cc}/u;
const CONTROL_BUT_LINE_BREAKS = /(?![\t\n\r])\p{Cc}/u;

export interface ControlCharacterProblem {
  /** Where in the input, as a list of keys: [] for the whole value. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** What a schema says about the value at one place: multi-line or not, and the schemas of its keys and items. */
interface Place {
  readonly multiLine: boolean;
  readonly keys: ReadonlyMap<string, readonly z.ZodType[]>;
  readonly items: readonly z.ZodType[];
}

/** Looks through wrappers (optional, default, pipe, union...) to what the schemas say about a value. */
function placeOf(schemas: readonly z.ZodType[]): Place {
  let multiLine = false;
  const keys = new Map<string, z.ZodType[]>();
  const items: z.ZodType[] = [];
  const queue = [...schemas];
  const seen = new Set<z.ZodType>();
  for (let schema = queue.pop(); schema !== undefined; schema = queue.pop()) {
    if (seen.has(schema)) continue;
    seen.add(schema);
    if (multiLineFields.has(schema)) multiLine = true;
    const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
    if ('innerType' in def) queue.push(def.innerType as z.ZodType);
    if (def.type === 'pipe') queue.push(def.in as z.ZodType, def.out as z.ZodType);
    if (def.type === 'union') queue.push(...(def.options as z.ZodType[]));
    if (def.type === 'intersection') queue.push(def.left as z.ZodType, def.right as z.ZodType);
    if (def.type === 'lazy') queue.push((def.getter as () => z.ZodType)());
    if (def.type === 'array') items.push(def.element as z.ZodType);
    if (def.type === 'object') {
      for (const [key, field] of Object.entries(def.shape as Record<string, z.ZodType>)) keys.set(key, [...(keys.get(key) ?? []), field]);
    }
  }
  return { multiLine, keys, items };
}

function codePoint(character: string): string {
  return `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

function problemIn(text: string, multiLine: boolean): string | undefined {
  const found = (multiLine ? CONTROL_BUT_LINE_BREAKS : ANY_CONTROL).exec(text)?.[0];
  if (found === undefined) return undefined;
  if (/[\t\n\r]/.test(found)) return 'This field takes a single line of text: remove the line break or tab.';
  return `This field contains a control character (${codePoint(found)}), which is not allowed.`;
}

/**
 * The first control character in `value` (a parsed body, query or params) that
 * `schema` does not allow there, or undefined. Object keys are checked too.
 */
export function findControlCharacter(value: unknown, schema: z.ZodType | undefined): ControlCharacterProblem | undefined {
  const walk = (current: unknown, schemas: readonly z.ZodType[], path: readonly (string | number)[]): ControlCharacterProblem | undefined => {
    if (typeof current === 'string') {
      // Nearly every string has none: the schemas are looked through only for one that does (this runs on every request).
      if (!ANY_CONTROL.test(current)) return undefined;
      const message = problemIn(current, placeOf(schemas).multiLine);
      return message === undefined ? undefined : { path, message };
    }
    if (typeof current !== 'object' || current === null) return undefined;
    let place: Place | undefined;
    const placeHere = () => (place ??= placeOf(schemas));
    const clean = (item: unknown) => typeof item === 'string' && !ANY_CONTROL.test(item);
    if (Array.isArray(current)) {
      for (const [index, item] of current.entries()) {
        if (clean(item)) continue;
        const found = walk(item, placeHere().items.length > 0 ? placeHere().items : schemas, [...path, index]);
        if (found) return found;
      }
      return undefined;
    }
    for (const [key, item] of Object.entries(current)) {
      if (ANY_CONTROL.test(key)) return { path: [...path, key], message: problemIn(key, false) ?? '' };
      if (clean(item)) continue;
      const found = walk(item, placeHere().keys.get(key) ?? [], [...path, key]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(value, schema ? [schema] : [], []);
}

/**
 * fastify-type-provider-zod's validator with the control-character check in
 * front: the refusal has the shape of a schema error, so every scope's error
 * pipeline (form pages, problem+json) shows it like any other.
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = (route) => {
  const validate = zodValidatorCompiler(route);
  return (data: unknown) => {
    const problem = findControlCharacter(data, route.schema);
    if (problem === undefined) return validate(data);
    const pointer = `/${problem.path.join('/')}`;
    return { error: [{ keyword: 'control_character', instancePath: pointer, schemaPath: `#${pointer}`, message: problem.message, params: {} }] };
  };
};
