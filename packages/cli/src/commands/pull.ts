/**
 * `llmr pull <source>`: downloads an `hf:` model into the Hugging Face cache (shared with
 * Python), one progress bar per file with bytes and speed. The bars and the I/O helpers
 * here are shared with `llmr ls` and `llmr rm`.
 */
import type { HfPullProgress, HfPullResult } from '@llmr/loader-hf';
import type { Command } from 'commander';
import { parseNumber } from '../output';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (bars redraw in place) or a pipe (a line per event). */
  isTTY: boolean;
  now: () => number;
}

export function processIo(): CommandIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: process.stderr.isTTY === true,
    now: () => performance.now(),
  };
}

export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

interface Bar {
  file: string;
  status: HfPullProgress['status'];
  loaded: number;
  total: number;
  transferred: number;
  startedAt?: number;
  finishedAt?: number;
}

/**
 * One bar per file. On a terminal the block of bars is redrawn in place (at most every
 * 100 ms); on a pipe each file gets a line when it starts and when it is done.
 */
export function createFileBars(io: CommandIo) {
  const bars = new Map<string, Bar>();
  let drawnLines = 0;
  let lastDraw = 0;
  const width = 24;
  const nameWidth = () => Math.min(40, Math.max(...[...bars.keys()].map((file) => file.length), 8));

  const speedOf = (bar: Bar) => {
    const seconds = ((bar.finishedAt ?? io.now()) - (bar.startedAt ?? io.now())) / 1000;
    return seconds > 0 ? bar.transferred / seconds : 0;
  };
  const line = (bar: Bar) => {
    const name =
      bar.file.length > nameWidth() ? `…${bar.file.slice(-(nameWidth() - 1))}` : bar.file;
    const fraction = bar.total > 0 ? bar.loaded / bar.total : 1;
    const filled = Math.round(fraction * width);
    const state =
      bar.status === 'cached'
        ? 'cached'
        : bar.status === 'queued'
          ? 'waiting'
          : `${formatSize(speedOf(bar))}/s`;
    return `${name.padEnd(nameWidth())} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${formatSize(bar.loaded).padStart(8)} / ${formatSize(bar.total).padEnd(8)} ${state}`;
  };
  const draw = (force = false) => {
    if (!io.isTTY) return;
    const now = io.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    let text = drawnLines > 0 ? `\u001b[${drawnLines}A` : '';
    for (const bar of bars.values()) text += `\r${line(bar)}\u001b[K\n`;
    io.stderr(text);
    drawnLines = bars.size;
  };

  return {
    update(progress: HfPullProgress) {
      let bar = bars.get(progress.file);
      if (!bar) {
        bar = {
          file: progress.file,
          status: progress.status,
          loaded: 0,
          total: progress.total,
          transferred: 0,
        };
        bars.set(progress.file, bar);
      }
      const previous = bar.status;
      Object.assign(bar, {
        status: progress.status,
        loaded: progress.loaded,
        total: progress.total,
        transferred: progress.transferred,
      });
      if (progress.status === 'downloading') bar.startedAt ??= io.now();
      if (progress.status === 'done' || progress.status === 'cached') bar.finishedAt ??= io.now();
      if (io.isTTY) {
        draw(progress.status !== 'downloading' || previous !== 'downloading');
      } else if (progress.status !== previous || progress.status === 'cached') {
        if (progress.status === 'downloading') {
          io.stderr(
            `downloading ${bar.file} (${formatSize(bar.total)}${bar.loaded > 0 ? `, resuming at ${formatSize(bar.loaded)}` : ''})\n`,
          );
        } else if (progress.status === 'done') {
          io.stderr(`done ${bar.file} ${formatSize(bar.total)} at ${formatSize(speedOf(bar))}/s\n`);
        } else if (progress.status === 'cached') {
          io.stderr(`cached ${bar.file} ${formatSize(bar.total)}\n`);
        }
      }
    },
    /** A message above the bars (retries), without breaking them. */
    log(text: string) {
      if (io.isTTY && drawnLines > 0) {
        io.stderr(`\u001b[${drawnLines}A\r${text}\u001b[K\n`);
        drawnLines = 0;
        draw(true);
      } else {
        io.stderr(`${text}\n`);
      }
    },
    done() {
      draw(true);
    },
  };
}

export interface PullCommandOptions {
  json?: boolean;
  concurrency?: number;
  offline?: boolean;
  cacheDir?: string;
}

export async function pullCommand(
  source: string,
  options: PullCommandOptions = {},
  io: CommandIo = processIo(),
): Promise<HfPullResult> {
  const { pullHfModel } = await import('@llmr/loader-hf');
  const started = io.now();
  const bars = createFileBars(options.json ? { ...io, isTTY: false, stderr: () => {} } : io);
  const result = await pullHfModel(source, {
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    ...(options.offline ? { offline: true } : {}),
    ...(options.concurrency ? { maxConcurrentDownloads: options.concurrency } : {}),
    onProgress: (progress) => bars.update(progress),
    onRetry: ({ file, reason, attempt, waitMs }) =>
      bars.log(
        `retrying${file ? ` ${file}` : ''} (${reason}, try ${attempt + 1}${waitMs >= 1000 ? `, waiting ${Math.round(waitMs / 1000)} s` : ''})`,
      ),
  });
  bars.done();
  const seconds = (io.now() - started) / 1000;
  if (options.json) {
    io.stdout(`${JSON.stringify({ ...result, seconds: Number(seconds.toFixed(2)) })}\n`);
  } else {
    const downloaded = result.files.filter((file) => file.status === 'downloaded').length;
    const where =
      result.fromCache === 'offline'
        ? ' (offline, from the cache)'
        : result.fromCache
          ? ' (hub unreachable, from the cache)'
          : '';
    io.stderr(
      `pulled ${result.repo}@${result.commit.slice(0, 12)}${where}: ${result.description}; ${result.files.length} file${result.files.length === 1 ? '' : 's'}, ${downloaded} downloaded (${formatSize(result.bytesTransferred)} in ${seconds.toFixed(1)} s)\n`,
    );
    io.stdout(`${result.localPath}\n`);
  }
  return result;
}

export function registerPullCommand(program: Command): void {
  program
    .command('pull')
    .description(
      'Download a model from the Hugging Face hub into its cache (shared with Python): resumable, verified, several files at once.',
    )
    .argument(
      '<source>',
      'hf:org/repo[@revision][/path][:quant], e.g. hf:Qwen/Qwen3-0.6B-GGUF:Q4_K_M or hf:onnx-community/Qwen3-0.6B-ONNX:q4',
    )
    .option('--json', 'print the result (commit, files, local path) as JSON on stdout')
    .option(
      '-j, --concurrency <n>',
      'files downloaded at once (default 4)',
      parseNumber('--concurrency', true),
    )
    .option('--offline', 'use the cache only (like HF_HUB_OFFLINE=1)')
    .option('--cache-dir <dir>', 'cache folder (default: HF_HUB_CACHE, or $HF_HOME/hub)')
    .addHelpText(
      'after',
      '\nEnvironment: HF_TOKEN (gated and private models), HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE, HF_ENDPOINT.',
    )
    .action(async (source: string, options: PullCommandOptions) => {
      await pullCommand(source, options);
    });
}
