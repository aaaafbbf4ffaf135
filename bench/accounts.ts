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
