/**
 * A one-line progress bar on a terminal (redrawn in place); on a pipe or in CI, one line
 * per stage, so logs stay readable.
 */
export function createProgressLine(
  write: (text: string) => void,
  isTTY = process.stderr.isTTY === true,
) {
  let lastStage = '';
  let drawn = false;
  return {
    update(fraction: number, stage: string) {
      const percent = Math.max(0, Math.min(100, Math.round(fraction * 100)));
      if (isTTY) {
        const width = 24;
        const filled = Math.round((percent / 100) * width);
        write(
          `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(percent).padStart(3)}% ${stage}\u001b[K`,
        );
        drawn = true;
      } else if (stage !== lastStage) {
        write(`${stage}...\n`);
      }
      lastStage = stage;
    },
    done() {
      if (drawn) write('\r\u001b[K');
      drawn = false;
    },
  };
}
