// ESLint flat config: typescript-eslint with type information, plus the
// security plugin (the successor of the seed's `bandit` step).
import js from '@eslint/js';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

/**
 * Which modules each module may use (through its public face, index.ts). The
 * table is the module map: it must stay acyclic, and lint refuses an import of
 * a module not listed here and of any file behind another module's face.
 */
const MODULE_USES = {
  audit: [],
  staff: ['audit'],
  ledger: ['audit'],
  accounts: ['audit', 'ledger', 'staff'],
  receivables: ['accounts', 'ledger'],
  dashboard: ['accounts', 'ledger', 'receivables', 'staff'],
  'import-export': ['accounts', 'audit', 'ledger', 'staff'],
  statements: ['accounts', 'ledger'],
  'customer-link': ['accounts', 'audit', 'ledger', 'staff', 'statements'],
  outbox: ['audit', 'staff'],
  reminders: ['accounts', 'audit', 'ledger', 'outbox', 'staff', 'statements'],
};

function assertAcyclic(uses) {
  const state = new Map();
  const visit = (name, path) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open') throw new Error(`module cycle: ${[...path, name].join(' -> ')}`);
    state.set(name, 'open');
    for (const next of uses[name] ?? []) visit(next, [...path, name]);
    state.set(name, 'done');
  };
  for (const name of Object.keys(uses)) visit(name, []);
}

const COMPOSITION_ROOT = {
  regex: '(^|/)(app|deps|server|prepare-database)\\.js$|(^|/)(migrations|cli)(/|$)',
  message: 'a module must not import the composition root (app, deps, server, migrations, cli); `import type { Deps }` is allowed.',
  allowTypeImports: true,
};

/** Another module's internals: anything of modules/<name>/ but its index.js. */
const internalsOf = (names) => ({
  regex: `^(.*/)?(${names.join('|')})/(?!index\\.js$).+$`,
  message: "import another module through its public face (modules/<name>/index.js), never a file behind it.",
});

function moduleBoundaries() {
  assertAcyclic(MODULE_USES);
  const names = Object.keys(MODULE_USES);
  return [
    ...names.map((name) => {
      const others = names.filter((other) => other !== name);
      const unused = others.filter((other) => !MODULE_USES[name].includes(other));
      return {
        files: [`src/modules/${name}/**`],
        rules: {
          'no-restricted-imports': [
            'error',
            {
              patterns: [
                COMPOSITION_ROOT,
                internalsOf(others),
                ...(unused.length === 0 ? [] : [{ regex: `^(\\.\\./)+(${unused.join('|')})/`, message: `${name} does not use ${unused.join(', ')} (MODULE_USES in eslint.config.js is the module map).` }]),
              ],
            },
          ],
        },
      };
    }),
    {
      // The composition root knows every module, but only by its public face.
      files: ['src/*.ts', 'src/cli/**', 'src/migrations/**'],
      rules: { 'no-restricted-imports': ['error', { patterns: [{ ...internalsOf(names), regex: `(^|/)modules/(${names.join('|')})/(?!index\\.js$).+$` }] }] },
    },
  ];
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'var/', '.cache/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  security.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['describe', 'test', 'it', 'suite'], package: 'node:test' }] },
      ],
      'no-console': 'error',
      // Fastify plugins and hooks are async by contract even when they await nothing.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // strict TypeScript with noUncheckedIndexedAccess already types every keyed read as possibly
    // undefined; this rule only forced Map workarounds for plain lookups.
    rules: { 'security/detect-object-injection': 'off' },
  },
  {
    // The dependency direction: the platform and shared code know no feature and no composition root.
    files: ['src/platform/**', 'src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(modules|migrations|cli)(/|$)|(^|/)(app|deps|schema|server|config|prepare-database)\\.js$',
              message: 'platform/ and shared/ must not import a module or the composition root (app, deps, schema, migrations, cli, config).',
            },
          ],
        },
      ],
    },
  },
  ...moduleBoundaries(),
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  {
    // Tests and tools read files and spawn processes by design, from paths they build themselves.
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: {
      'security/detect-non-literal-fs-filename': 'off',
      'security/detect-child-process': 'off',
      'no-console': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
