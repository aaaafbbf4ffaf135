export const ACCOUNTS_PATH = '/accounts';

/**
 * Where an account lives: its staff page (no prefix), or its API resource
 * under the API scope's prefix. Ids are letters, digits and - _ . only;
 * encoded all the same.
 */
export function accountPath(acctid: string, prefix = ''): string {
  return `${prefix}${ACCOUNTS_PATH}/${encodeURIComponent(acctid)}`;
}

/** The scope's prefix of a route, from its own URL pattern: "/api/v1" for "/api/v1/accounts/:acctid". */
export function prefixOf(routeUrl: string | undefined): string {
  const url = routeUrl ?? '';
  const collection = url.indexOf(ACCOUNTS_PATH);
  return collection < 0 ? url : url.slice(0, collection);
}
