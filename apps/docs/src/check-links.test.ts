/** The link checker, proven on small sites with each defect planted. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { checkSiteLinks } from './check-links';

let site: string;
beforeEach(async () => {
  site = await mkdtemp(join(tmpdir(), 'llmr-links-'));
  await mkdir(join(site, 'guide'));
  await writeFile(join(site, 'style.css'), 'body {}');
  await writeFile(
    join(site, 'guide/a.html'),
    '<h2 id="setup">Setup</h2><a href="../index.html#top">home</a><a href="#setup">here</a>',
  );
});
afterEach(() => rm(site, { recursive: true, force: true }));

const page = (body: string) =>
  writeFile(join(site, 'index.html'), `<link href="style.css"><a name="top"></a>${body}`);

it('passes a site whose links all resolve, and counts external ones without fetching', async () => {
  await page(
    '<a href="guide/a.html#setup">a</a><a href="guide/">dir</a><a href="https://example.com/x">x</a>',
  );
  await writeFile(join(site, 'guide/index.html'), '<p>guide</p>');
  const report = checkSiteLinks(site);
  expect(report).toMatchObject({ pages: 3, externalLinks: 1, broken: [] });
  expect(report.internalLinks).toBe(5);
});

it('finds a link to a missing page', async () => {
  await page('<a href="guide/b.html">b</a>');
  expect(checkSiteLinks(site).broken).toEqual([
    { page: 'index.html', link: 'guide/b.html', reason: 'no such file' },
  ]);
});

it('finds a fragment that names no element', async () => {
  await page('<a href="guide/a.html#install">a</a>');
  expect(checkSiteLinks(site).broken).toEqual([
    {
      page: 'index.html',
      link: 'guide/a.html#install',
      reason: `no element with id "install" on ${join('guide', 'a.html')}`,
    },
  ]);
});

it('finds absolute paths and links out of the site', async () => {
  await page('<img src="/logo.png"><a href="../../etc/passwd">x</a>');
  expect(checkSiteLinks(site).broken.map((broken) => broken.reason)).toEqual([
    'an absolute path breaks when the site is served from a sub-path',
    'points outside the site',
  ]);
});
