import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/** The accounts the scale benches make: account i is ACC000000i, named from fixed lists (with accents), the same on every run. */
const FIRST = ['Anna', 'Ben', 'Chloé', 'David', 'Émile', 'Fatima', 'Grace', 'Hugo', 'Inès', 'Jonas', 'Kai', 'Lena', 'Mateo', 'Nora', 'Oskar', 'Priya', 'Quinn', 'Rosa', 'Søren', 'Tara', 'Umar', 'Vera', 'Wei', 'Xavier', 'Yara', 'Zoë', 'Alma'];
const LAST = [
  'Smith', 'Müller', 'García', 'Nguyen', 'Okafor', 'Rossi', 'Kowalski', 'Johansson', 'Dubois', 'Silva', 'Tanaka', 'Novak', 'Schmidt', 'Ivanova', 'Haddad', 'Murphy',
  'Fernández', 'Larsen', 'Yilmaz', 'Kim', 'Brown', 'Lefèvre', 'Costa', 'Papadopoulos', 'Horváth', 'Jensen', 'Moreau', 'Weber', 'Khan', 'Lopez',
];
export const acctidOf = (i: number) => `ACC${String(i).padStart(7, '0')}`;

/** One in 27 first names, one in 30 last names: "Anna Smith". */
export function accountName(i: number): string {
  return `${FIRST[i % FIRST.length]!} ${LAST[Math.floor(i / FIRST.length) % LAST.length]!}`;
}

/**
 * The scale benches' import file: account i (1..size) with its name, an
 * e-mail, a phone and opening totals (due 10.00–9,009.99, paid above 0 and
 * below due), so each account gets an opening charge and payment.
 */
export async function writeAccountsCsv(file: string, size: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('acctid,name,email,phone,paid,due\n');
  for (let i = 1; i <= size; i++) {
    const due = 1000 + ((i * 7919) % 900_000);
    const paid = 1 + ((i * 104_729) % (due - 1)); // never 0: every account gets an opening payment
    const line = `${acctidOf(i)},${accountName(i)},${acctidOf(i).toLowerCase()}@example.com,+1 555 ${String(i % 10_000).padStart(4, '0')},${(paid / 100).toFixed(2)},${(due / 100).toFixed(2)}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
