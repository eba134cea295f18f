import { defineConfig } from 'vite';

// Relative asset URLs, so the console works wherever the server mounts it.
export default defineConfig({
  base: './',
  build: { outDir: 'dist', target: 'es2022', assetsDir: 'assets', reportCompressedSize: true },
});
