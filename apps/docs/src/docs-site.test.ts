/**
 * Builds the documentation site with TypeDoc exactly as `pnpm docs` does (into a temp
 * directory, every warning an error), then checks it: no broken internal link or anchor,
 * a page for every package (with its README) and for every guide and example, and the
 * guides' code really included from the examples.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSiteLinks } from './check-links';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
let site: string;
/** Page title (before " | llmr") -> the page's HTML. */
const pages = new Map<string, string>();

function readPages(directory: string): void {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) readPages(path);
    else if (entry.name.endsWith('.html')) {
      const html = readFileSync(path, 'utf8');
      const title = /<title>(.*?) \| llmr<\/title>/.exec(html)?.[1];
      if (title) pages.set(title, html);
    }
  }
}

const manifests = readdirSync(join(root, 'packages'))
  .map((directory) => join(root, 'packages', directory))
  .filter((directory) => existsSync(join(directory, 'package.json')))
  .map((directory) => ({
    directory,
    name: (JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name: string })
      .name,
  }));

beforeAll(async () => {
  site = await mkdtemp(join(tmpdir(), 'llmr-docs-'));
  const typedoc = join(root, 'node_modules/typedoc/bin/typedoc');
  await run(
    process.execPath,
    [typedoc, '--options', 'typedoc.json', '--out', site, '--treatWarningsAsErrors'],
    { cwd: root, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
  ).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`typedoc failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  });
  readPages(site);
}, 600_000);
afterAll(() => rm(site, { recursive: true, force: true }));

describe('the documentation site', () => {
  it('has no broken internal link or anchor', () => {
    const report = checkSiteLinks(site);
    expect(report.broken).toEqual([]);
    expect(report.pages).toBeGreaterThan(100);
    expect(report.internalLinks).toBeGreaterThan(1000);
  });

  it('has a page for every package, with its README', () => {
    const missing = manifests.filter(({ name }) => !pages.has(name)).map(({ name }) => name);
    expect(missing).toEqual([]);
    for (const { directory, name } of manifests) {
      const readme = readFileSync(join(directory, 'README.md'), 'utf8');
      // The README's second heading (the first is the package name) is on the page.
      const heading = [...readme.matchAll(/^## (.+)$/gm)][0]?.[1];
      if (heading) expect(pages.get(name), name).toContain(heading.replaceAll('`', ''));
    }
  });

  it('has a page for every guide and example', () => {
    const examples = readdirSync(join(root, 'examples')).filter((entry) =>
      existsSync(join(root, 'examples', entry, 'README.md')),
    );
    for (const example of examples) expect(pages.has(`examples/${example}`), example).toBe(true);
    for (const title of [
      'Getting started',
      'Concepts',
      'Model formats',
      'Routing',
      'Config reference',
      'APIs',
      'Compose a custom runtime',
      'Security',
      'Observability',
      'Writing a plugin',
      'Versioning',
    ])
      expect(
        [...pages.keys()].some((page) => page.startsWith(title)),
        title,
      ).toBe(true);
  });

  it("shows the examples' code in the guides", () => {
    const library = readFileSync(join(root, 'examples/library/main.ts'), 'utf8');
    const guide = pages.get('Getting started')!;
    // Highlighted code is split into spans; compare the text.
    const text = guide
      .replace(/<[^>]+>/g, '')
      .replaceAll('&#39;', "'")
      .replaceAll('&quot;', '"');
    expect(text).toContain("import { createRouter } from '@llmr/router';");
    expect(library).toContain("import { createRouter } from '@llmr/router';");
    expect(pages.get('Routing')).toContain('by-prompt-length');
    const pageText = (title: string) =>
      pages
        .get(title)!
        .replace(/<[^>]+>/g, '')
        .replaceAll('&#39;', "'")
        .replaceAll('&quot;', '"');
    // The APIs guide shows the requests the examples test runs, one per protocol.
    const apis = pageText('APIs');
    for (const file of ['openai.sh', 'anthropic.sh', 'graphql.sh', 'native.sh']) {
      const request = readFileSync(join(root, 'examples/http-apis', file), 'utf8')
        .split('\n')
        .find((line) => line.startsWith('curl'))!;
      expect(apis, file).toContain(request);
    }
    expect(apis).toContain("socket.send(JSON.stringify({ type: 'chat.completions'");
    expect(apis).toContain('client.ChatStream(');
    expect(pageText('Compose a custom runtime')).toContain("name: 'prefer-loaded',");
    expect(pageText('Config reference')).toContain('circuitBreaker.failureThreshold');
  });
});
