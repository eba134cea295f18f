// @ts-check
/**
 * A TypeDoc plugin for the documentation site. TypeDoc names the modules of a multi-entry
 * build by path ("router/src"); this names each one after its package ("@llmr/router",
 * "@llmr/core/test/kit") and puts the package's README at the top of its page. It also
 * registers each package directory and README as that page, so a guide's relative link
 * to `packages/router` or its README lands on the package's page. README files included
 * as documents (the examples, the console, the Python client) are named after their
 * directory and stand for it the same way; other documents without a title take their
 * first heading.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { Converter, MinimalSourceFile, ReflectionKind } from 'typedoc';

const repositoryDirectory = new URL('../../../', import.meta.url).pathname;
const packagesDirectory = join(repositoryDirectory, 'packages');
const MODULE_PATH = /^([\w-]+)\/src(?:\/(.+))?$/;

/** Paths built here are already absolute and normalised, which TypeDoc's file registry wants. */
const normalized = (/** @type {string} */ path) =>
  /** @type {import('typedoc').NormalizedPath} */ (path);

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    for (const module of project.getReflectionsByKind(ReflectionKind.Module)) {
      const match = MODULE_PATH.exec(module.name);
      if (!match) continue;
      const [, directoryName, subpath] = match;
      const directory = join(packagesDirectory, /** @type {string} */ (directoryName));
      const manifestPath = join(directory, 'package.json');
      if (!existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      module.name = subpath ? `${manifest.name}/${subpath}` : manifest.name;
      const readmePath = join(directory, 'README.md');
      if (subpath || !existsSync(readmePath)) continue;
      const { content } = app.converter.parseRawComment(
        new MinimalSourceFile(readFileSync(readmePath, 'utf8'), normalized(readmePath)),
        project.files,
      );
      /** @type {import('typedoc').DeclarationReflection} */ (module).readme = content;
      project.files.registerReflectionPath(normalized(readmePath), module);
      project.files.registerReflectionPath(normalized(directory), module);
    }
    for (const reflection of project.getReflectionsByKind(ReflectionKind.Document)) {
      const document = /** @type {import('typedoc').DocumentReflection} */ (reflection);
      const path = project.files.getReflectionPath(document);
      if (!path) continue;
      if (basename(path) !== 'README.md') {
        // Without a frontmatter title TypeDoc names a page by its path; its heading reads better.
        const heading = /^# (.+)$/m.exec(readFileSync(path, 'utf8'))?.[1];
        if (heading && !document.frontmatter.title) document.name = heading;
        continue;
      }
      document.name = relative(repositoryDirectory, dirname(path));
      project.files.registerReflectionPath(normalized(dirname(path)), document);
    }
  });
}
