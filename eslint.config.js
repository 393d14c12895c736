// The lint `scripts/test` runs: dependencies point one way (DESIGN.md, "Layers"), no promise is
// left floating, and no test is focused or skipped. Type-aware, from tsconfig.json.
import tseslint from 'typescript-eslint';

/**
 * The layers, bottom first: a folder may import its own layer and those below, never one above.
 * errors/ and fault/ are leaves every layer may import; they import nothing of floe's.
 */
const LAYERS = [
  ['errors', 'fault'],
  ['events'],
  ['config'],
  ['state', 'storage', 'warehouse', 'check', 'discover'],
  ['pipeline'],
  ['functions'],
  ['runtime'],
  ['cli', 'infra', 'bench'],
];

const above = (index) => LAYERS.slice(index + 1).flat();

const layerRules = LAYERS.flatMap((folders, index) =>
  folders.map((folder) => ({
    files: [`${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...(index === 0
              ? [{ group: ['../*', '!./*'], message: `${folder}/ is a leaf: it imports nothing of floe's, so every layer may import it.` }]
              : above(index).map((upper) => ({
                  group: [`**/${upper}/**`],
                  message: `${folder}/ may not import ${upper}/, a layer above it (events ← config ← state/storage/warehouse ← core ← handlers ← runtimes ← cli/infra). Declare what it needs as a port where it is needed, or move the code down.`,
                }))),
          ],
        },
      ],
    },
  })),
);

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'cdk.out/**', '.venv/**', '.bench-venv/**', 'glue/**', '**/*.js', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      // A focused or skipped test proves nothing; jest's globals, spelled any way.
      'no-restricted-properties': [
        'error',
        ...['it', 'test', 'describe'].flatMap((object) =>
          ['only', 'skip', 'todo'].map((property) => ({ object, property, message: `${object}.${property}: every test runs, or it is deleted` }))),
      ],
      'no-restricted-globals': ['error', { name: 'fit', message: 'a focused test' }, { name: 'fdescribe', message: 'a focused test' }, { name: 'xit', message: 'a skipped test' }, { name: 'xdescribe', message: 'a skipped test' }],
    },
  },
  ...layerRules,
);
