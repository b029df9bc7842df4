import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'cdktf.out/',
      '.local/',
      'coverage/',
      'charts/imports/',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='@cdktf/provider-google']",
          message:
            'Import provider classes by deep path (@cdktf/provider-google/lib/<resource>): the barrel costs ~5x synth time.',
        },
      ],
    },
  },
  {
    files: ['app/src/**/*.ts'],
    ignores: ['app/src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through app/src/config only.' },
      ],
    },
  },
);
