/**
 * The release workflow (.github/workflows/release.yml) cannot run outside GitHub, so its
 * structure is checked here: a maintainer can start it, it tests before it publishes,
 * it publishes through changesets with npm provenance, and every root script it calls
 * exists. Each check is proven by planting the defect it must catch.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../../', import.meta.url);
const workflowText = readFileSync(new URL('.github/workflows/release.yml', root), 'utf8');
const rootManifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  scripts: Record<string, string>;
  packageManager: string;
};

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Workflow {
  on?: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs?: Record<string, { steps?: Step[] }>;
}

const PNPM = /npx -y pnpm@(\S+) (?:run |exec )?(\S+)/;

/** What is wrong with a release workflow; empty when nothing is. */
function checkReleaseWorkflow(workflow: Workflow): string[] {
  const problems: string[] = [];
  if (!workflow.on || !('workflow_dispatch' in workflow.on))
    problems.push('no workflow_dispatch: a maintainer cannot start a release');
  if (workflow.permissions?.['id-token'] !== 'write')
    problems.push('permissions.id-token is not write: npm provenance needs the OIDC token');
  const steps = Object.values(workflow.jobs ?? {}).flatMap((job) => job.steps ?? []);
  const publishIndex = steps.findIndex((step) => step.uses?.startsWith('changesets/action@'));
  const publish = steps[publishIndex];
  if (!publish) return [...problems, 'no changesets/action step'];
  const runs = steps.map((step) => step.run ?? '');
  const position = (pattern: RegExp) => runs.findIndex((run) => pattern.test(run));
  for (const [label, pattern] of [
    ['install --frozen-lockfile', /pnpm@\S+ install --frozen-lockfile$/],
    ['test', /pnpm@\S+ test$/],
    ['run ci', /pnpm@\S+ run ci$/],
  ] as const) {
    const index = position(pattern);
    if (index < 0) problems.push(`no \`pnpm ${label}\` step`);
    else if (index > publishIndex) problems.push(`\`pnpm ${label}\` runs after publishing`);
  }
  if (!String(publish.with?.version ?? '').includes('changeset version'))
    problems.push('changesets/action has no `changeset version` command');
  if (publish.env?.NPM_CONFIG_PROVENANCE !== 'true')
    problems.push('NPM_CONFIG_PROVENANCE is not "true" on the publish step');
  if (!publish.env?.NODE_AUTH_TOKEN) problems.push('no NODE_AUTH_TOKEN on the publish step');
  const commands = [...runs, String(publish.with?.version ?? ''), String(publish.with?.publish)];
  const pinned = rootManifest.packageManager.replace(/^pnpm@/, '');
  for (const command of commands) {
    const match = PNPM.exec(command);
    if (!match) continue;
    if (match[1] !== pinned) problems.push(`\`${command}\` uses pnpm ${match[1]}, not ${pinned}`);
    const script = match[2]!;
    const builtIn = ['install', 'test', 'changeset'].includes(script);
    if (!builtIn && !(script in rootManifest.scripts))
      problems.push(`\`${command}\` calls a root script "${script}" that package.json lacks`);
  }
  return problems;
}

const fresh = (): Workflow => parse(workflowText) as Workflow;
const steps = (workflow: Workflow) => Object.values(workflow.jobs!)[0]!.steps!;

describe('release workflow', () => {
  it('is complete', () => {
    expect(checkReleaseWorkflow(fresh())).toEqual([]);
    expect(rootManifest.scripts.release).toContain('changeset publish');
  });

  it('catches a workflow a maintainer cannot start', () => {
    const workflow = fresh();
    delete workflow.on!.workflow_dispatch;
    expect(checkReleaseWorkflow(workflow)).toEqual([
      'no workflow_dispatch: a maintainer cannot start a release',
    ]);
  });

  it('catches publishing without provenance', () => {
    const workflow = fresh();
    delete workflow.permissions!['id-token'];
    const publish = steps(workflow).find((step) => step.uses?.startsWith('changesets/'))!;
    delete publish.env!.NPM_CONFIG_PROVENANCE;
    expect(checkReleaseWorkflow(workflow)).toEqual([
      'permissions.id-token is not write: npm provenance needs the OIDC token',
      'NPM_CONFIG_PROVENANCE is not "true" on the publish step',
    ]);
  });

  it('catches tests that run after publishing, or not at all', () => {
    const workflow = fresh();
    const list = steps(workflow);
    const test = list.findIndex((step) => step.run?.endsWith(' test'));
    const [moved] = list.splice(test, 1);
    list.push(moved!);
    expect(checkReleaseWorkflow(workflow)).toEqual(['`pnpm test` runs after publishing']);
    list.pop();
    expect(checkReleaseWorkflow(workflow)).toEqual(['no `pnpm test` step']);
  });

  it('catches a root script that does not exist and a different pnpm', () => {
    const workflow = fresh();
    const publish = steps(workflow).find((step) => step.uses?.startsWith('changesets/'))!;
    publish.with!.publish = 'npx -y pnpm@9.0.0 run publish-everything';
    expect(checkReleaseWorkflow(workflow)).toEqual([
      `\`npx -y pnpm@9.0.0 run publish-everything\` uses pnpm 9.0.0, not ${rootManifest.packageManager.replace(/^pnpm@/, '')}`,
      '`npx -y pnpm@9.0.0 run publish-everything` calls a root script "publish-everything" that package.json lacks',
    ]);
  });
});
