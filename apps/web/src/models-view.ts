/**
 * The models view: every model the server knows, whether it is loaded, the server's
 * readiness, and buttons that load or unload a model through the native API.
 */
import type { Api } from './api';
import { h } from './dom';

interface NativeModel {
  id: string;
  loaded: boolean;
  aliases?: string[];
  source?: string;
  info?: { contextLength?: number };
}

export interface ModelsView {
  refresh(): Promise<void>;
}

export function mountModelsView(
  root: HTMLElement,
  api: Api,
  showError: (error: unknown) => void,
  onChange: () => void,
): ModelsView {
  const health = h('p', { id: 'health', 'aria-live': 'polite' });
  const refreshButton = h('button', { type: 'button' }, 'Refresh');
  const body = h('tbody');
  const table = h(
    'table',
    {},
    h('caption', {}, 'Models'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Model'),
        h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col' }, 'Source'),
        h('th', { scope: 'col' }, 'Context'),
        h('th', { scope: 'col' }, 'Action'),
      ),
    ),
    body,
  );
  root.append(health, refreshButton, table);

  const refresh = async () => {
    const ready = await fetch('/ready')
      .then((response) => response.json() as Promise<{ status: string }>)
      .catch(() => ({ status: 'unreachable' }));
    health.textContent = `Server: ${ready.status}`;
    const { models } = await api.json<{ models: NativeModel[] }>('/api/models');
    body.replaceChildren(
      ...models.map((model) => {
        const action = model.loaded ? 'unload' : 'load';
        const button = h(
          'button',
          { type: 'button', 'aria-label': `${action} ${model.id}`, 'data-model': model.id },
          action === 'load' ? 'Load' : 'Unload',
        );
        button.addEventListener('click', async () => {
          button.disabled = true;
          button.textContent = action === 'load' ? 'Loading…' : 'Unloading…';
          try {
            await api.fetch(`/api/models/${encodeURIComponent(model.id)}/${action}`, {
              method: 'POST',
            });
            onChange();
          } catch (error) {
            showError(error);
          }
          await refresh().catch(showError);
        });
        const aliases = model.aliases?.length ? ` (${model.aliases.join(', ')})` : '';
        return h(
          'tr',
          { 'data-model': model.id, 'data-loaded': String(model.loaded) },
          h('th', { scope: 'row' }, model.id + aliases),
          h('td', { class: 'state' }, model.loaded ? 'loaded' : 'not loaded'),
          h('td', {}, model.source ?? ''),
          h('td', {}, model.info?.contextLength ? String(model.info.contextLength) : ''),
          h('td', {}, button),
        );
      }),
    );
  };
  refreshButton.addEventListener('click', () => refresh().catch(showError));
  return { refresh };
}
