/**
 * `hf:` sources: `hf:org/repo[@revision][/path][:selector]`. The selector picks a
 * quantization (`:Q4_K_M` -> the matching .gguf) or an ONNX dtype (`:q4` ->
 * onnx/model_q4.onnx), the way llama.cpp's `-hf org/repo:Q4_K_M` reads.
 */
import { InvalidArgumentError } from '@llmr/core';

export interface HfSource {
  /** `org/name`. */
  repo: string;
  /** Branch, tag or commit; undefined means `main`. */
  revision?: string;
  /** A file or folder inside the repo. */
  path?: string;
  /** A GGUF quantization (`Q4_K_M`) or an ONNX dtype (`q4`, `fp16`). */
  selector?: string;
}

const PREFIX = /^hf:(?:\/\/)?/i;
// Hub repo names: letters, digits, `-`, `_`, `.`; no `--` or `..` (they would be ambiguous in the cache).
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;
const SELECTOR = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const SHAPE = /^([^/@:]+)\/([^/@:]+)(?:@([^/:]+))?(?:\/([^:]+))?(?::([^/:@]+))?$/;

export function isHfSource(source: unknown): source is string {
  return typeof source === 'string' && PREFIX.test(source);
}

function invalid(source: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError({
    argument: 'source',
    value: source,
    message: `"${source}" is not a valid hf: source: ${why}. Write hf:org/repo, hf:org/repo:Q4_K_M, hf:org/repo@revision or hf:org/repo/path/to/file.gguf.`,
  });
}

/** Parses an `hf:` source; throws InvalidArgumentError saying what is wrong. */
export function parseHfSource(source: string): HfSource {
  if (!isHfSource(source)) throw invalid(String(source), 'it must start with hf:');
  const rest = source.replace(PREFIX, '');
  const match = SHAPE.exec(rest);
  if (!match)
    throw invalid(source, 'expected org/repo, then optionally @revision, /path and :selector');
  const [, org, name, revision, path, selector] = match;
  for (const part of [org!, name!]) {
    if (!NAME.test(part) || part.includes('--') || part.includes('..')) {
      throw invalid(source, `"${part}" is not a valid organisation or repository name`);
    }
  }
  let decodedRevision: string | undefined;
  if (revision !== undefined) {
    // `refs/pr/1` has slashes, which would read as a path: it is written `refs%2Fpr%2F1`.
    decodedRevision = decodeURIComponent(revision);
    if (decodedRevision === '' || decodedRevision.includes('..')) {
      throw invalid(source, `"${revision}" is not a valid revision`);
    }
  }
  let cleanPath: string | undefined;
  if (path !== undefined) {
    cleanPath = path.replace(/\/+$/, '');
    const segments = cleanPath.split('/');
    if (
      cleanPath === '' ||
      segments.some((segment) => segment === '' || segment === '.' || segment === '..')
    ) {
      throw invalid(source, `"${path}" is not a valid path inside the repository`);
    }
  }
  if (selector !== undefined && !SELECTOR.test(selector)) {
    throw invalid(source, `"${selector}" is not a valid quantization or dtype`);
  }
  return {
    repo: `${org}/${name}`,
    ...(decodedRevision !== undefined ? { revision: decodedRevision } : {}),
    ...(cleanPath !== undefined ? { path: cleanPath } : {}),
    ...(selector !== undefined ? { selector } : {}),
  };
}

/** The canonical string for a parsed source. */
export function formatHfSource(source: HfSource): string {
  return (
    `hf:${source.repo}` +
    (source.revision !== undefined ? `@${encodeURIComponent(source.revision)}` : '') +
    (source.path !== undefined ? `/${source.path}` : '') +
    (source.selector !== undefined ? `:${source.selector}` : '')
  );
}

/** A 40-hex-digit commit id (a revision that needs no resolving). */
export function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}
