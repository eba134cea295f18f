/**
 * Checks a built static site: every internal link and asset reference (`href`, `src`)
 * must name a file that exists, and a `#fragment` must name an element id (or anchor
 * name) on the page it points at. External URLs are not fetched (the build must not need
 * the network); they are only counted.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface BrokenLink {
  /** The page holding the link, relative to the site root. */
  page: string;
  link: string;
  reason: string;
}

export interface LinkReport {
  pages: number;
  internalLinks: number;
  externalLinks: number;
  broken: BrokenLink[];
}

/** Pages bigger than this are not documentation pages; refuse rather than scan them. */
const MAX_PAGE_BYTES = 16 * 1024 * 1024;
const ATTRIBUTE = /\s(?:href|src)="([^"]*)"/g;
const ID = /\s(?:id|name)="([^"]*)"/g;
const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

function htmlFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return htmlFiles(path);
    return entry.name.endsWith('.html') ? [path] : [];
  });
}

/** `&amp;` and friends as a browser would decode them in an attribute. */
function decodeAttribute(value: string): string {
  return value
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}

export function checkSiteLinks(siteDirectory: string): LinkReport {
  const root = resolve(siteDirectory);
  const pages = htmlFiles(root);
  const ids = new Map<string, Set<string>>();
  const idsOf = (page: string): Set<string> => {
    let found = ids.get(page);
    if (!found) {
      found = new Set([...readFileSync(page, 'utf8').matchAll(ID)].map((match) => match[1]!));
      ids.set(page, found);
    }
    return found;
  };
  const report: LinkReport = {
    pages: pages.length,
    internalLinks: 0,
    externalLinks: 0,
    broken: [],
  };
  for (const page of pages) {
    if (statSync(page).size > MAX_PAGE_BYTES)
      throw new Error(`${page} is over ${MAX_PAGE_BYTES} bytes; not a documentation page`);
    const html = readFileSync(page, 'utf8');
    const pageName = relative(root, page);
    for (const match of html.matchAll(ATTRIBUTE)) {
      const link = decodeAttribute(match[1]!);
      if (EXTERNAL.test(link)) {
        report.externalLinks++;
        continue;
      }
      report.internalLinks++;
      const broken = (reason: string) => report.broken.push({ page: pageName, link, reason });
      const [pathAndQuery = '', fragment] = link.split('#', 2);
      const path = decodeURIComponent(pathAndQuery.split('?', 1)[0]!);
      if (path.startsWith('/')) {
        broken('an absolute path breaks when the site is served from a sub-path');
        continue;
      }
      let target = path === '' ? page : resolve(dirname(page), path);
      if (!target.startsWith(root)) {
        broken('points outside the site');
        continue;
      }
      if (existsSync(target) && statSync(target).isDirectory()) target = join(target, 'index.html');
      if (!existsSync(target)) {
        broken('no such file');
        continue;
      }
      if (fragment && target.endsWith('.html') && !idsOf(target).has(decodeURIComponent(fragment)))
        broken(`no element with id "${fragment}" on ${relative(root, target)}`);
    }
  }
  return report;
}
