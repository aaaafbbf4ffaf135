/**
 * A strict object's own messages, which zod words for programmers: a body that
 * is not an object, and fields or query parameters the route does not take
 * (named, with the ones it does).
 */
export function strictObjectErrors(noun: 'field' | 'query parameter', known: readonly string[]) {
  const takes = known.join(', ');
  return (issue: { readonly code?: string; readonly keys?: readonly string[] }): string | undefined => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys ?? [];
      return `Unknown ${noun}${keys.length === 1 ? '' : 's'} ${keys.map((key) => `"${key}"`).join(', ')}: this request takes only ${takes}.`;
    }
    if (issue.code === 'invalid_type' && noun === 'field') return `The body must be a JSON object with the fields ${takes}.`;
    return undefined;
  };
}
