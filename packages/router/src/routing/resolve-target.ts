/** What a requested name means: aliases followed, then a route, a model, or `auto`. */
import type { ResolvedRouteConfig } from '../config/router-config-schema';
import { RouterError } from '../errors';
import type { RouterRuntime } from '../router-runtime';
import { listModels } from './list-models';

export interface Resolution {
  kind: 'auto' | 'route' | 'model';
  target: string;
  aliases: string[];
  route?: ResolvedRouteConfig;
}

export function resolveTarget(runtime: RouterRuntime, requested: string): Resolution {
  const config = runtime.config;
  const aliases: string[] = [];
  let name = requested;
  while (config.aliases[name] !== undefined && aliases.length < 16) {
    aliases.push(name);
    name = config.aliases[name]!;
  }
  if (name === 'auto') {
    const routeName = config.defaultRoute;
    if (routeName)
      return {
        kind: 'route',
        target: routeName,
        aliases: [...aliases, 'auto'],
        route: config.routes[routeName],
      };
    return { kind: 'auto', target: 'auto', aliases };
  }
  const route = config.routes[name];
  if (route) return { kind: 'route', target: name, aliases, route };
  if (runtime.pool.has(name)) return { kind: 'model', target: name, aliases };
  throw new RouterError({
    code: 'model-not-found',
    message: `No model, route or alias is named "${requested}". Known: ${listModels(runtime)
      .map((listing) => listing.id)
      .join(', ')}, or "auto".`,
  });
}
