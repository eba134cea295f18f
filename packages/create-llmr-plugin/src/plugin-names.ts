/** The names a plugin package derives from its npm name. */
import { InvalidArgumentError } from '@llmr/core';

export interface PluginNames {
  packageName: string;
  /** The directory the package is written to (the name without its scope). */
  directoryName: string;
  /** The plugin's `name` in the registry, e.g. "bigram" for "llmr-loader-bigram". */
  loaderName: string;
  factoryName: string;
  instanceName: string;
  /** The plugin's name in PascalCase, for the other kinds' factory names. */
  pascalName: string;
}

const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

export function pluginNames(packageName: string): PluginNames {
  if (packageName.length > 214 || !PACKAGE_NAME.test(packageName)) {
    throw new InvalidArgumentError({
      argument: 'name',
      value: packageName,
      message: `"${packageName}" is not a valid npm package name; use lower case letters, digits, ".", "-" and "_", optionally under a scope (e.g. llmr-loader-bigram or @acme/llmr-loader-bigram).`,
    });
  }
  const directoryName = packageName.replace(/^@[^/]+\//, '');
  const loaderName =
    directoryName
      .replace(/^llmr-/, '')
      .replace(/^(loader|stage|plugin|provider|engine|strategy)-/, '') || directoryName;
  const camel = loaderName
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .map((part, index) => (index === 0 ? part : part[0]!.toUpperCase() + part.slice(1)))
    .join('');
  const base = /^[0-9]/.test(camel) ? `plugin${camel}` : camel;
  const pascal = base[0]!.toUpperCase() + base.slice(1);
  return {
    packageName,
    directoryName,
    loaderName,
    factoryName: `create${pascal}Loader`,
    instanceName: `${base}Loader`,
    pascalName: pascal,
  };
}
