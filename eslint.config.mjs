// Lint with type information over the TypeScript sources (issue 18): the promise and exhaustiveness
// rules catch what tsc does not (a forgotten await, a promise passed where a callback's result is
// ignored, a switch that misses a new union member). Run by `npm test` through `npm run lint`.
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/**', 'examples/**', 'test/**', 'scripts/**', '.tasks/**'] },
  {
    files: ['lib/**/*.ts', 'bin/**/*.ts', 'recipes/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
)
