/**
 * What `llmr serve` says when its watched config file changes: each applied version
 * (models added and removed), and each version it refused. A refused version leaves the
 * previous one serving, so the log must say that, and where the file is wrong (the
 * router's message carries the line and the field).
 */
import type { LLMRouter } from '@llmr/router';

export function logConfigChanges(
  router: Pick<LLMRouter, 'subscribe'>,
  file: string,
  log: (line: string) => void,
): () => void {
  return router.subscribe((event) => {
    if (event.type === 'config-error')
      log(
        `config ${file} changed but was not applied; still serving the previous version. Fix it and save again:\n  ${event.error.message.replaceAll('\n', '\n  ')}`,
      );
    else if (event.type === 'config-reload')
      log(
        `config ${file} reloaded: ${event.models} models, ${event.routes} routes` +
          (event.added.length ? `; added ${event.added.join(', ')}` : '') +
          (event.removed.length ? `; removed ${event.removed.join(', ')}` : ''),
      );
  });
}
