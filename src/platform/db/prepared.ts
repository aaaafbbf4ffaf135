import type { Compilable, CompiledQuery, Kysely, Transaction } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- works for every schema
type AnyDb = Kysely<any> | Transaction<any>;

/**
 * A query built and compiled by Kysely once per database handle, then run
 * with each call's values: for the few queries on every request of a hot
 * path (the public lookup, the API's token check and account read), where
 * building and compiling the same query each time was a tenth of the
 * server's CPU (decision 28). The builder gets a placeholder for each value;
 * the SQL is Kysely's, so it is the same on every database the handle speaks.
 *
 *   const byId = prepared((db, id: string) => db.selectFrom('account').select(['acctid']).where('acctid', '=', id));
 *   const rows = await byId(db, 'ACCT100');
 */
export function prepared<Row, Values extends unknown[]>(build: (db: AnyDb, ...values: Values) => Compilable<Row>): (db: AnyDb, ...values: Values) => Promise<Row[]> {
  const compiled = new WeakMap<AnyDb, { query: CompiledQuery<Row>; slots: readonly (number | undefined)[] }>();
  return async (db, ...values) => {
    let entry = compiled.get(db);
    if (!entry) {
      // Placeholders no value can equal: each parameter is either one of them (a slot for a value) or a constant of the query.
      const placeholders = values.map((_, i) => Symbol(`value ${i}`)) as unknown as Values;
      const query = build(db, ...placeholders).compile();
      const slots = query.parameters.map((parameter) => {
        const slot = placeholders.indexOf(parameter);
        return slot === -1 ? undefined : slot;
      });
      if (slots.filter((slot) => slot !== undefined).length !== values.length) throw new Error('a prepared query must use each of its values exactly once');
      entry = { query, slots };
      compiled.set(db, entry);
    }
    const { query, slots } = entry;
    const parameters = slots.map((slot, i) => (slot === undefined ? query.parameters[i] : values[slot]));
    return (await db.executeQuery<Row>({ ...query, parameters })).rows;
  };
}
