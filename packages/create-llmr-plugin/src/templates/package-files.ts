/**
 * The files every plugin gets: package.json (depending on @llmr/core by a caret range,
 * never a workspace link, so it installs from the registry), a plain-tsc build, README.
 */
import type { PluginNames } from '../plugin-names';

export interface PackageFileOptions {
  names: PluginNames;
  kind: string;
  coreVersion: string;
}

export function packageFiles({
  names,
  kind,
  coreVersion,
}: PackageFileOptions): Record<string, string> {
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
      test: 'tsc && node --test dist/loader.test.js',
      prepack: 'tsc',
    },
    keywords: ['llmr', 'llmr-plugin', `llmr-${kind}`],
    dependencies: { '@llmr/core': `^${coreVersion}` },
    devDependencies: { '@types/node': '^20.19.0', typescript: '~5.9.3' },
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
    'README.md': `# ${names.packageName}

An [llmr](https://www.npmjs.com/package/@llmr/core) ${kind} plugin. It depends on
\`@llmr/core\` only. As scaffolded, the \`${names.loaderName}\` loader learns a byte-bigram
table from a UTF-8 \`.txt\` file and generates from it: replace \`src/bigram-model.ts\`
with your runtime, keep the tests green.

## Install

\`\`\`sh
npm install ${names.packageName}
\`\`\`

## Use

\`\`\`sh
llmr serve --plugin ${names.packageName} --model corpus=./corpus.txt
\`\`\`

\`\`\`ts
import { createRegistry } from '@llmr/core';
import { ${names.instanceName} } from '${names.packageName}';

const registry = createRegistry({ loaders: [${names.instanceName}] });
const model = await ${names.instanceName}.doLoad('./corpus.txt');
const { text } = await model.doGenerate({ prompt: 'Once upon', maxTokens: 20, temperature: 0 });
console.log(text, registry.loaders.length);
await model.dispose();
\`\`\`

## Develop

\`npm test\` builds with tsc and runs the llmr conformance kit (\`@llmr/core/test/kit\`)
under \`node:test\`. \`npm pack\` builds before packing.

## Limits

A corpus is read whole into memory, up to 64 MiB. Bytes the corpus never saw restart
generation at its first byte.
`,
  };
}
