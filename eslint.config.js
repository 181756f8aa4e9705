import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * The layers of ARCHITECTURE.md, top to bottom: a layer imports only the layers below it, and
 * the shells do not import each other. `dir` is the folder under the repository, `below` the
 * layers it may import (everything else of this table is refused), `patterns` further
 * restrictions of the layer.
 */
const LAYERS = [
  { name: 'process', dir: 'src/release-gate-app.ts' },
  { name: 'demo', dir: 'src/demo' },
  { name: 'app', dir: 'src/app', level: 1 },
  {
    name: 'console',
    dir: 'src/console',
    level: 1,
    patterns: [
      {
        regex: '^(\\.\\./)+app/(?!actions/index\\.js$)',
        message: "src/console reaches the App only through src/app/actions/index.js (the action module's entry).",
      },
    ],
    // The action module's entry is the one way into the App (the pattern above).
    reaches: ['app'],
  },
  { name: 'cli', dir: 'src/cli', level: 1 },
  { name: 'action', dir: 'action/src', level: 1 },
  { name: 'http', dir: 'src/http', level: 2 },
  { name: 'local', dir: 'src/local', level: 3 },
  { name: 'budget', dir: 'src/budget', level: 4 },
  { name: 'store', dir: 'src/store', level: 5 },
  { name: 'github', dir: 'src/github', level: 6 },
  { name: 'evidence', dir: 'src/evidence', level: 7 },
  {
    name: 'core',
    dir: 'src/core',
    level: 8,
    patterns: [
      {
        group: [
          'probot',
          '@actions/*',
          '@octokit/*',
          'node:*',
          'fs',
          'path',
          'process',
          'child_process',
          '@prisma/*',
          'pg',
        ],
        message: 'src/core is pure: pass data in from a shell instead.',
      },
    ],
  },
];

/** An import of the folder or file `dir` from anywhere in the repository, as a relative path. */
function importOf(dir) {
  const last = dir.replace(/^src\//, '').replace(/\.ts$/, '\\.js$');
  const escaped = last.replace(/\//g, '\\/');
  return dir.endsWith('.ts') ? `^(\\.\\./)+(src/)?${escaped}` : `^(\\.\\./)+(src/)?${escaped}(/|$)`;
}

/** One `no-restricted-imports` block per layer: the layers at its level or above are refused. */
export const layerBoundaries = LAYERS.filter((layer) => layer.level !== undefined).map((layer) => {
  const above = LAYERS.filter(
    (other) =>
      other !== layer &&
      (other.level === undefined || other.level <= layer.level) &&
      !layer.reaches?.includes(other.name),
  );
  const below = LAYERS.filter((other) => other.level > layer.level).map((other) => other.dir);
  return {
    files: [`${layer.dir}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...above.map((other) => ({
              regex: importOf(other.dir),
              message: `${layer.dir} imports only the layers below it (ARCHITECTURE.md): ${below.join(', ') || 'none'}; ${other.dir} is not one of them.`,
            })),
            ...(layer.patterns ?? []),
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'action/dist/**',
      'node_modules/**',
      'src/store/generated/**',
      'data/**',
      'coverage/**',
      'bench/.tmp/**',
      'bench/out/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      // Type information, so that promises nobody awaits are found.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    rules: {
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The core is pure: it decides from plain data and never touches GitHub, the disk,
    // the clock or a database. The shells (app, action, cli) supply the facts.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'src/core is pure: read the environment in a shell.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'src/core takes the time as an argument (now).',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'src/core takes the time as an argument (now).',
        },
      ],
    },
  },
  ...layerBoundaries,
);
