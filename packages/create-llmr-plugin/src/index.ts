/** create-llmr-plugin: scaffold a third-party llmr plugin package. */
export { type PluginNames, pluginNames } from './plugin-names';
export { HELP, runCreate } from './run-create';
export {
  PLUGIN_KINDS,
  type PluginKind,
  type ScaffoldOptions,
  type ScaffoldResult,
  scaffoldPlugin,
} from './scaffold';
