/** Runs the built `llmr` binary (dist/bin.js) as a user would, with its own LLMR_HOME. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

/** The built binary, for tests that spawn it themselves (a server). */
export const builtCliPath = bin;
const exec = promisify(execFile);

/** Fails with what to run when the binary has not been built. */
export function assertBuiltCli(): void {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
}

export function builtCli(home: () => string) {
  return async (...args: string[]) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, [bin, ...args], {
        timeout: 120_000,
        env: { ...process.env, LLMR_HOME: home() },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failure = error as { code: number; stdout: string; stderr: string };
      return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
    }
  };
}
