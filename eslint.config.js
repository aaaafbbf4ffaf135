// ESLint flat config: typescript-eslint with type information, plus the
// security plugin (the successor of the seed's `bandit` step).
import js from '@eslint/js';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

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
  {
    // Modules use the platform and shared code, never each other's internals or the composition root (schema types excepted).
    files: ['src/modules/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(app|deps|server|prepare-database)\\.js$|(^|/)(migrations|cli)(/|$)',
              message: 'a module must not import the composition root (app, deps, server, migrations, cli).',
            },
          ],
        },
      ],
    },
  },
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
