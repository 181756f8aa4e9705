import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

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
      'no-restricted-imports': [
        'error',
        {
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
                '../app/*',
                '../action/*',
                '../cli/*',
                '../store/*',
                '../github/*',
                '../evidence/*',
              ],
              message: 'src/core is pure: pass data in from a shell instead.',
            },
          ],
        },
      ],
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
  {
    // The App serves the handlers it is given; src/release-gate-app.ts mounts the console.
    files: ['src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/console/**'],
              message: 'src/app does not import the console: src/release-gate-app.ts mounts it.',
            },
          ],
        },
      ],
    },
  },
  {
    // The console acts through the App's action module only.
    files: ['src/console/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./app/(?!actions/index\\.js$)',
              message: "src/console reaches the App only through src/app/actions/index.js (the action module's entry).",
            },
          ],
        },
      ],
    },
  },
);
