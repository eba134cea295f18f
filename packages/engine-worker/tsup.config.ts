import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'worker-main': 'src/worker-main.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
