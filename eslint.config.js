import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Packages only the command layer (src/cli, src/output) may load. */
const PACKAGES_OF_CLI = [
  { name: '@oclif/core', message: 'only src/cli and commands import oclif' },
  { name: 'chalk', message: 'only src/output uses colour' },
  { name: 'cli-table3', message: 'only src/output draws tables' },
];
const RENDERING = {
  group: ['**/output/*', '**/cli/*', '**/cli/**/*'],
  message: 'domain code returns data; src/cli/render renders it with src/output',
};

export default tseslint.config(
  { ignores: ['dist/', 'dist-bench/', 'node_modules/', 'coverage/', 'test/fixtures/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' },
    },
  },
  {
    // bin/ is CommonJS (bin/package.json), for a faster start (docs/architecture.md, "Start-up").
    files: ['bin/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // bin/run.js reads a fast-path chunk's exports once it has run (settled): an exported binding
    // must keep the value it was given, as const, function and class do.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ExportNamedDeclaration > VariableDeclaration[kind!='const']",
          message: "export a const (bin/run.js reads a chunk's exports once it has run)",
        },
      ],
    },
  },
  {
    // The layering of docs/architecture.md: only src/cli and commands know oclif; only
    // src/output draws tables and colour; nothing in src/ prints or exits.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@oclif/core', message: 'only src/cli and commands import oclif' }] },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'throw a CalicoError instead' },
        { object: 'console', property: 'log', message: 'return data; src/cli prints' },
      ],
    },
  },
  {
    // Where rendering lives (docs/architecture.md, "Dependency direction"): the domain layers return
    // data; src/cli/render turns it into text with the src/output toolkit. So no domain module
    // imports src/output, src/cli, or the drawing and colour packages.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/output/**'],
    rules: { 'no-restricted-imports': ['error', { paths: PACKAGES_OF_CLI, patterns: [RENDERING] }] },
  },
  {
    // resources sit below apply and IPAM: a kind module never reaches up; what a kind's writes do to
    // IPAM is a hook in src/apply/kinds/ (docs/architecture.md, "One shape for each thing").
    files: ['src/resources/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: PACKAGES_OF_CLI,
          patterns: [
            RENDERING,
            {
              group: ['**/apply/**', '**/ipam/**', '**/pools/**', '**/dataplane/**', '**/bird/**'],
              message: 'resources sit below apply and ipam; put what needs them in src/apply/kinds/',
            },
          ],
        },
      ],
    },
  },
);
