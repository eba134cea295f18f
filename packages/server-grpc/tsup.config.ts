import { cpSync } from 'node:fs';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // The .proto files ship inside the package; the repository keeps one copy at proto/.
  onSuccess: async () => {
    cpSync('../../proto', 'proto', { recursive: true });
  },
});
