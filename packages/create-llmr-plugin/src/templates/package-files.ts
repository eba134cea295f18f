/**
 * The files every plugin gets: package.json (depending on @llmr/core by a caret range,
 * never a workspace link, so it installs from the registry), a plain-tsc build, and the
 * README its kind's template writes.
 */
import type { PluginNames } from '../plugin-names';

export interface PackageFileOptions {
  names: PluginNames;
  kind: string;
  coreVersion: string;
  /** The kind's README. */
  readme: string;
  /** The compiled node:test file `npm test` runs, e.g. dist/loader.test.js. */
  testFile: string;
  /**
   * Packages the plugin uses for types only (name -> version): optional peers, so
   * installing the plugin never pulls them, and dev dependencies, so it builds.
   */
  typePeers?: Record<string, string>;
}

export function packageFiles({
  names,
  kind,
  coreVersion,
  readme,
  testFile,
  typePeers = {},
}: PackageFileOptions): Record<string, string> {
  const peers = Object.entries(typePeers);
  const caret = (entries: [string, string][]) =>
    Object.fromEntries(entries.map(([name, version]) => [name, `^${version}`]));
  const packageJson = {
    name: names.packageName,
    version: '0.1.0',
    description: `An llmr ${kind} plugin.`,
    license: 'MIT',
    type: 'module',
    sideEffects: false,
    exports: {
      '.': { types: './dist/index.d.ts', import: './dist/index.js' },
      './package.json': './package.json',
    },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    files: ['dist', '!dist/**/*.test.*', 'README.md'],
    scripts: {
      build: 'tsc',
      typecheck: 'tsc --noEmit',
      test: `tsc && node --test ${testFile}`,
      prepack: 'tsc',
    },
    keywords: ['llmr', 'llmr-plugin', `llmr-${kind}`],
    dependencies: { '@llmr/core': `^${coreVersion}` },
    ...(peers.length > 0
      ? {
          peerDependencies: caret(peers),
          peerDependenciesMeta: Object.fromEntries(
            peers.map(([name]) => [name, { optional: true }]),
          ),
        }
      : {}),
    devDependencies: { '@types/node': '^20.19.0', typescript: '~5.9.3', ...caret(peers) },
    engines: { node: '>=20' },
  };
  const tsconfig = {
    compilerOptions: {
      target: 'es2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      noUncheckedIndexedAccess: true,
      declaration: true,
      sourceMap: true,
      skipLibCheck: true,
      rootDir: 'src',
      outDir: 'dist',
      types: ['node'],
    },
    include: ['src'],
  };
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(tsconfig, null, 2)}\n`,
    '.gitignore': 'node_modules\ndist\n*.tgz\n',
    'README.md': readme,
  };
}
