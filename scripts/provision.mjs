#!/usr/bin/env node
/**
 * Makes sure the system software the tests need is present, before they run: tests never
 * skip because a service is missing. Reads scripts/system-requirements.json; as root on a
 * Debian-like system it installs what is missing with apt-get, otherwise it exits 1 naming
 * exactly the packages to install.
 *
 *   node scripts/provision.mjs           check, and install as root
 *   node scripts/provision.mjs --check   check only, never install
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join, sep } from 'node:path';

const listFile = new URL('./system-requirements.json', import.meta.url);
const checkOnly = process.argv.includes('--check');

function fail(message) {
  console.error(`provision: ${message}`);
  process.exit(1);
}

function loadRequirements() {
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(listFile, 'utf8'));
  } catch (error) {
    fail(`cannot read scripts/system-requirements.json: ${error.message}`);
  }
  const requirements = parsed?.requirements;
  if (!Array.isArray(requirements)) fail('system-requirements.json has no "requirements" array.');
  requirements.forEach((entry, index) => {
    const probes = ['command', 'path', 'pythonModule'].filter((key) => entry?.[key] !== undefined);
    if (typeof entry?.package !== 'string' || probes.length !== 1)
      fail(
        `requirement ${index} needs a "package" and exactly one of "command", "path" or "pythonModule".`,
      );
  });
  return requirements;
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command) {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((folder) => folder && isExecutable(join(folder, command)));
}

/** Whether a path exists; a `*` segment matches any one entry of its folder. */
function pathExists(pattern, base = sep, segments = pattern.split(sep).filter(Boolean)) {
  if (segments.length === 0) return existsSync(base);
  const [head, ...rest] = segments;
  if (!head.includes('*')) return pathExists(pattern, join(base, head), rest);
  const matcher = new RegExp(`^${head.split('*').map(escapeRegExp).join('.*')}$`);
  let names = [];
  try {
    names = readdirSync(base);
  } catch {
    return false;
  }
  return names.some((name) => matcher.test(name) && pathExists(pattern, join(base, name), rest));
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function pythonHas(module) {
  const python = '/usr/bin/python3';
  if (!isExecutable(python)) return false;
  return spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

function isPresent(requirement) {
  if (requirement.command !== undefined) return onPath(requirement.command);
  if (requirement.path !== undefined) return pathExists(requirement.path);
  return pythonHas(requirement.pythonModule);
}

function describe(requirement) {
  const probe =
    requirement.command !== undefined
      ? `command ${requirement.command}`
      : requirement.path !== undefined
        ? requirement.path
        : `Python module ${requirement.pythonModule}`;
  return `${requirement.package} (${probe}${requirement.for ? `, for ${requirement.for}` : ''})`;
}

function aptGet(args) {
  const result = spawnSync('apt-get', args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) fail(`apt-get ${args.join(' ')} failed (exit ${result.status}).`);
}

const requirements = loadRequirements();
const missing = requirements.filter((requirement) => !isPresent(requirement));
if (missing.length === 0) {
  console.log(`provision: all ${requirements.length} system requirements present.`);
  process.exit(0);
}

const packages = [...new Set(missing.map((requirement) => requirement.package))];
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (checkOnly || !isRoot || !onPath('apt-get')) {
  const why = checkOnly
    ? 'checking only'
    : !isRoot
      ? 'not running as root'
      : 'apt-get is not available';
  fail(
    `missing system requirements (${why}, so nothing was installed):\n` +
      missing.map((requirement) => `  - ${describe(requirement)}`).join('\n') +
      `\nInstall them, then run the tests again:\n  sudo apt-get install -y ${packages.join(' ')}`,
  );
}

console.log(`provision: installing ${packages.join(' ')} with apt-get`);
aptGet(['update', '-qq']);
aptGet(['install', '-y', '-qq', ...packages]);
const stillMissing = missing.filter((requirement) => !isPresent(requirement));
if (stillMissing.length > 0)
  fail(
    `apt-get installed ${packages.join(' ')}, but these are still missing:\n` +
      stillMissing.map((requirement) => `  - ${describe(requirement)}`).join('\n'),
  );
console.log(`provision: installed ${packages.join(' ')}.`);
