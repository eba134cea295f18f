import { defineConfig } from 'vite';

// Relative asset paths, so the built page works from any folder of any static host.
export default defineConfig({ base: './', build: { outDir: 'dist', target: 'es2022' } });
