// ESLint flat config, after the JupyterLab extension template (jupyterlab/extension-template):
// eslint + typescript-eslint + @jupyter/eslint-plugin, with Prettier run as a rule (formatting is Prettier's job).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import globals from 'globals';
import jupyterPlugin from '@jupyter/eslint-plugin';

export default defineConfig([
  {
    ignores: [
      'node_modules',
      'lib',
      'coverage',
      'shipshape_lab',
      '**/*.js',
      '**/*.d.ts',
      // Generated from nbs_lib.products: the JSON Schema, and the types `jlpm gen:types` makes from it (a test checks
      // they are in sync).
      'schema/products.schema.json',
      'src/products.ts'
    ]
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  jupyterPlugin.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      globals: {
        ...globals.browser,
        ...globals.es2015,
        ...globals.node
      },
      parserOptions: {
        // The unit tests (src/__tests__) lie outside tsconfig's "include": the project service parses them with
        // the same compiler options.
        // (more than typescript-eslint's default of 8 test files: the limit is raised, not the glob widened).
        projectService: {
          allowDefaultProject: ['src/__tests__/*.ts'],
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 32
        },
        tsconfigRootDir: import.meta.dirname,
        sourceType: 'module'
      }
    },
    rules: {
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      '@typescript-eslint/no-unused-vars': ['warn', { args: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-use-before-define': 'off',
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error',
      // The panel is English-only: it has no ITranslator, so its strings are not wrapped in trans.__().
      'jupyter/no-untranslated-string': 'off'
    }
  },
  {
    // Build scripts run in Node: its globals are known, and importing them explicitly (node:process) is fine too.
    files: ['**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
    rules: { 'no-redeclare': ['error', { builtinGlobals: false }] }
  },
  prettierRecommended,
  {
    // eslint-config-prettier turns `curly` off; with "all" it cannot conflict with Prettier, so it comes back on here.
    rules: { curly: ['error', 'all'] }
  }
]);
