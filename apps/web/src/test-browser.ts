/**
 * For the browser tests: the console built with Vite from this source, and Debian's
 * Chromium, headless, driven by playwright-core. Fails saying what to install when
 * Chromium is missing.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';

const CHROMIUM = process.env.LLMR_CHROMIUM ?? '/usr/bin/chromium';
const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Screenshots for CI artefacts (git-ignored). */
export const screenshots = join(appRoot, 'test-results');

/** Builds the page into `<work>/dist` and returns that directory. */
export async function buildConsole(work: string): Promise<string> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `No Chromium at ${CHROMIUM}: the console tests need it. Install it with \`apt-get install -y chromium\` (Debian), or point LLMR_CHROMIUM at a Chromium binary.`,
    );
  const outDir = join(work, 'dist');
  await build({ root: appRoot, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  await mkdir(screenshots, { recursive: true });
  return outDir;
}

export async function launchBrowser(
  work: string,
  pageLog: string[],
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => pageLog.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => pageLog.push(`pageerror: ${error.message}`));
  return { context, page };
}
