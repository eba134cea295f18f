import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages from source, so `vitest` needs no build for unit tests.
// Each package maps `@llmr/<dir>` to `packages/<dir>/src/index.ts`, and `@llmr/<dir>/<sub>`
// to `packages/<dir>/src/<sub>/index.ts`.
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
const alias = readdirSync(packagesDir).flatMap((dir) => [
  { find: new RegExp(`^@llmr/${dir}$`), replacement: `${packagesDir}${dir}/src/index.ts` },
  { find: new RegExp(`^@llmr/${dir}/(.+)$`), replacement: `${packagesDir}${dir}/src/$1/index.ts` },
]);

export default defineConfig({
  resolve: { alias },
  test: {
    // The JSON report lets .ci/run print one plain 'N passed, N failed' closing line.
    reporters: ['default', ['json', { outputFile: 'node_modules/.vitest/results.json' }]],
    setupFiles: ['./vitest.setup.ts'],
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    typecheck: {
      enabled: true,
      include: ['packages/*/src/**/*.test-d.ts'],
      tsconfig: './tsconfig.test.json',
    },
  },
});
