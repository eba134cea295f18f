/**
 * Which files of a repo a source needs, decided from the file list alone (so it works
 * on the hub's tree listing and, offline, on a cached snapshot): one GGUF (all parts of
 * a split one), an ONNX directory (config, tokenizer files, one onnx/model*.onnx and its
 * external data), or a safetensors directory.
 */

import { normalizeOnnxDtype, ONNX_DTYPE_FILES } from '@llmr/core';
import { HfError, listForMessage } from './hf-error';
import { formatHfSource, type HfSource } from './hf-source';

export type HfLayout = 'gguf' | 'onnx' | 'safetensors' | 'file';

export interface HfFileSelection {
  layout: HfLayout;
  /** Repo paths to fetch. */
  files: string[];
  /** The repo path a format loader gets: a file, or a folder (`''` is the repo root). */
  entry: string;
  /** Load options the format loader needs to pick the same file (ONNX `fileName`). */
  loadOptions: Record<string, unknown>;
  /** One line saying what was chosen, for logs. */
  description: string;
}

/** Picked when a repo has several GGUFs and the source names none (llama.cpp's choice first). */
export const GGUF_PREFERENCE = [
  'Q4_K_M',
  'Q4_K_S',
  'Q4_0',
  'Q5_K_M',
  'Q6_K',
  'Q8_0',
  'F16',
  'BF16',
  'F32',
];

const QUANT =
  /(?:^|[-._/])((?:UD-)?(?:I?Q[1-8](?:_[0-9A-Z]+)*|B?F16|F32|FP16|FP32|MXFP4(?:_MOE)?|TQ[12]_0))(?=[-._/]|$)/gi;
const SPLIT = /-(\d{5})-of-(\d{5})\.gguf$/i;
const SUPPORT_FILE = /\.(json|txt|model|jinja|tiktoken)$/i;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function join(folder: string, path: string): string {
  return folder ? `${folder}/${path}` : path;
}

/** The quantization named in a GGUF path (`Qwen3-0.6B-Q4_K_M.gguf` -> `Q4_K_M`). */
export function quantizationOf(path: string): string | undefined {
  const matches = [...path.replace(/\.gguf$/i, '').matchAll(QUANT)];
  return matches.at(-1)?.[1]?.toUpperCase();
}

/** GGUF files grouped so that the parts of a split model stay together, first part first. */
function ggufGroups(paths: readonly string[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const path of paths) {
    const key = path.replace(SPLIT, (_match, _part, count) => `-*-of-${count}.gguf`);
    const group = groups.get(key) ?? [];
    group.push(path);
    groups.set(key, group);
  }
  return [...groups.values()].map((group) => group.sort());
}

function isProjector(path: string): boolean {
  return /mmproj/i.test(baseName(path));
}

interface Context {
  source: string;
  repo: string;
  /** Every path in the repo (or the snapshot), for messages. */
  all: readonly string[];
  offline: boolean;
}

function notFound(context: Context, message: string, missing: string[]): HfError {
  return new HfError({
    code: context.offline ? 'hf-offline-cache-miss' : 'hf-file-not-found',
    source: context.source,
    repo: context.repo,
    statusCode: context.offline ? undefined : 404,
    message,
    missing,
    available: [...context.all],
  });
}

function whatItHas(paths: readonly string[], context: Context): string {
  const quants = [
    ...new Set(
      paths
        .filter((path) => path.endsWith('.gguf') && !isProjector(path))
        .map((path) => quantizationOf(path) ?? baseName(path)),
    ),
  ];
  const dtypes = Object.entries(ONNX_DTYPE_FILES)
    .filter(([, file]) => paths.some((path) => baseName(path) === file))
    .map(([dtype]) => dtype);
  const parts: string[] = [];
  if (quants.length) parts.push(`GGUF quantizations: ${quants.join(', ')}`);
  if (dtypes.length) parts.push(`ONNX dtypes: ${dtypes.join(', ')}`);
  parts.push(`${context.offline ? 'cached files' : 'files'}: ${listForMessage(paths)}`);
  return parts.join('; ');
}

function ggufSelection(group: string[], why: string): HfFileSelection {
  return {
    layout: 'gguf',
    files: group,
    entry: group[0]!,
    loadOptions: {},
    description: `${group[0]}${group.length > 1 ? ` (${group.length} parts)` : ''}${why}`,
  };
}

function supportFiles(paths: readonly string[], folder: string): string[] {
  return paths.filter((path) => folderOf(path) === folder && SUPPORT_FILE.test(path));
}

function onnxSelection(paths: readonly string[], onnxPath: string): HfFileSelection {
  const folder = folderOf(onnxPath);
  const root = baseName(folder) === 'onnx' ? folderOf(folder) : folder;
  const fileName = baseName(onnxPath);
  const externalData = paths.filter(
    (path) =>
      folderOf(path) === folder &&
      (baseName(path).startsWith(`${fileName}_data`) ||
        baseName(path).startsWith(`${fileName}.data`)),
  );
  return {
    layout: 'onnx',
    files: [...new Set([...supportFiles(paths, root), onnxPath, ...externalData])].sort(),
    entry: root,
    loadOptions: { fileName },
    description: `ONNX ${onnxPath}${externalData.length ? ` with ${externalData.join(', ')}` : ''}`,
  };
}

function chooseOnnx(
  paths: readonly string[],
  folder: string,
  fileName: string,
): string | undefined {
  return [join(join(folder, 'onnx'), fileName), join(folder, fileName)].find((path) =>
    paths.includes(path),
  );
}

/** Selects within a folder of the repo (`''`: the root). */
function selectIn(
  paths: readonly string[],
  folder: string,
  selector: string | undefined,
  context: Context,
): HfFileSelection {
  const inside = folder ? paths.filter((path) => path.startsWith(`${folder}/`)) : [...paths];
  const ggufs = inside.filter((path) => path.toLowerCase().endsWith('.gguf'));
  const where = folder ? `${context.repo}/${folder}` : context.repo;

  if (selector !== undefined) {
    const pattern = new RegExp(`(?:^|[-./])${escapeRegExp(selector)}(?=[-./]|$)`, 'i');
    const wantsProjector = /mmproj/i.test(selector);
    const groups = ggufGroups(
      ggufs.filter(
        (path) =>
          pattern.test(path.slice(folder ? folder.length + 1 : 0)) &&
          (wantsProjector || !isProjector(path)),
      ),
    );
    if (groups.length === 1) return ggufSelection(groups[0]!, ` (matches :${selector})`);
    if (groups.length > 1) {
      throw new HfError({
        code: 'hf-ambiguous-file',
        source: context.source,
        repo: context.repo,
        message: `":${selector}" matches ${groups.length} GGUF models in ${where}: ${groups.map((group) => group[0]).join(', ')}. Name the file instead, e.g. hf:${context.repo}/${groups[0]![0]}.`,
        available: groups.map((group) => group[0]!),
      });
    }
    const dtype = normalizeOnnxDtype(selector);
    const onnx = dtype ? chooseOnnx(inside, folder, ONNX_DTYPE_FILES[dtype]!) : undefined;
    if (onnx) return onnxSelection(inside, onnx);
    const wanted = dtype ? `onnx/${ONNX_DTYPE_FILES[dtype]}` : `a .gguf file named for ${selector}`;
    throw notFound(
      context,
      `${where} has no ${dtype ? `ONNX file for dtype ${dtype} (${wanted}) and no ` : ''}GGUF file matching ":${selector}"${context.offline ? ' in the cache' : ''}. It has ${whatItHas(inside, context)}.`,
      [wanted],
    );
  }

  const models = ggufGroups(ggufs.filter((path) => !isProjector(path)));
  if (models.length === 1) return ggufSelection(models[0]!, '');
  if (models.length > 1) {
    const byQuant = (quant: string) => models.find((group) => quantizationOf(group[0]!) === quant);
    const preferred = GGUF_PREFERENCE.map(byQuant).find((group) => group !== undefined);
    const chosen = preferred ?? models[0]!;
    const others = models
      .filter((group) => group !== chosen)
      .map((group) => quantizationOf(group[0]!) ?? group[0]!);
    return ggufSelection(chosen, ` (default; also: ${others.join(', ')}; pick one with :QUANT)`);
  }

  const onnxFiles = inside.filter((path) => path.endsWith('.onnx'));
  if (onnxFiles.length > 0) {
    const onnx =
      Object.values(ONNX_DTYPE_FILES)
        .map((file) => chooseOnnx(inside, folder, file))
        .find((path) => path !== undefined) ?? onnxFiles.sort()[0]!;
    return onnxSelection(inside, onnx);
  }

  const safetensors = inside.filter(
    (path) => folderOf(path) === folder && /\.safetensors(\.index\.json)?$/i.test(path),
  );
  if (safetensors.length > 0) {
    // Mistral repos carry both model-*.safetensors and consolidated.safetensors: one is enough.
    const hasModel = safetensors.some((path) => baseName(path).startsWith('model'));
    const weights = safetensors.filter(
      (path) => !(hasModel && baseName(path).startsWith('consolidated')),
    );
    return {
      layout: 'safetensors',
      files: [...new Set([...supportFiles(inside, folder), ...weights])].sort(),
      entry: folder,
      loadOptions: {},
      description: `safetensors ${weights.filter((path) => path.endsWith('.safetensors')).join(', ')}`,
    };
  }

  throw notFound(
    context,
    `${where} has no GGUF, ONNX or safetensors model${context.offline ? ' in the cache' : ''}: pick a file with hf:${context.repo}/<path>. It has ${whatItHas(inside, context)}.`,
    ['a .gguf, onnx/*.onnx or *.safetensors file'],
  );
}

/** The files a source needs, from a repo's (or a snapshot's) list of paths. */
export function selectFiles(
  paths: readonly string[],
  source: HfSource,
  options: { offline?: boolean } = {},
): HfFileSelection {
  const context: Context = {
    source: formatHfSource(source),
    repo: source.repo,
    all: paths,
    offline: options.offline ?? false,
  };
  const path = source.path;
  if (path === undefined) return selectIn(paths, '', source.selector, context);
  if (paths.includes(path)) {
    if (source.selector !== undefined) {
      throw notFound(
        context,
        `${formatHfSource(source)} names a file (${path}) and a selector (:${source.selector}); use one or the other.`,
        [path],
      );
    }
    if (/\.gguf$/i.test(path)) {
      const split = SPLIT.exec(path);
      if (!split) return ggufSelection([path], '');
      const group = ggufGroups(paths.filter((other) => other.endsWith('.gguf'))).find((parts) =>
        parts.includes(path),
      )!;
      const expected = Number(split[2]);
      return ggufSelection(
        group,
        group.length === expected ? '' : ` (${group.length} of ${expected} parts)`,
      );
    }
    if (path.endsWith('.onnx')) return onnxSelection(paths, path);
    return {
      layout: 'file',
      files: [path],
      entry: path,
      loadOptions: {},
      description: path,
    };
  }
  if (paths.some((other) => other.startsWith(`${path}/`))) {
    return selectIn(paths, path, source.selector, context);
  }
  const near = paths.filter((other) => folderOf(other) === folderOf(path));
  throw notFound(
    context,
    `${source.repo} has no file or folder "${path}"${context.offline ? ' in the cache' : ''}. ${folderOf(path) ? `Files in ${folderOf(path)}/` : 'Files at its top'}: ${listForMessage(near.length ? near : paths)}.`,
    [path],
  );
}

/**
 * What a complete selection must also contain, from names alone: every part of a split
 * GGUF. Used offline, where no listing says what the repo has.
 */
export function missingParts(selection: HfFileSelection): string[] {
  if (selection.layout !== 'gguf') return [];
  const first = selection.files[0]!;
  const split = SPLIT.exec(first);
  if (!split) return [];
  const count = Number(split[2]);
  const missing: string[] = [];
  for (let part = 1; part <= count; part++) {
    const name = first.replace(SPLIT, `-${String(part).padStart(5, '0')}-of-${split[2]}.gguf`);
    if (!selection.files.includes(name)) missing.push(name);
  }
  return missing;
}
