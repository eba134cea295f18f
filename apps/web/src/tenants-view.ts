/**
 * The tenants view, for a server with the gateway: each tenant with its keys (active and
 * revoked) and its usage so far (requests, errors, tokens, cost), from the admin API
 * (`/api/admin/tenants`, `/keys`, `/usage`). It needs a key with the `admin` scope; a
 * server without the gateway (404) or a key without the scope (403) gets a sentence
 * saying so instead of an error. Below it, the keys panel creates and revokes keys.
 */
import { type Api, ApiError } from './api';
import { h } from './dom';
import { type KeyListing, mountKeysPanel } from './keys-panel';

interface Tenant {
  id: string;
  name: string;
  createdAt: string;
}
interface Usage {
  tenantId: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface TenantsView {
  refresh(): Promise<void>;
}

export function mountTenantsView(
  root: HTMLElement,
  api: Api,
  showError: (error: unknown) => void,
  clearError: () => void,
): TenantsView {
  const refreshButton = h('button', { type: 'button' }, 'Refresh');
  const body = h('tbody');
  const note = h('p', { class: 'note', 'aria-live': 'polite' });
  const columns = ['Tenant', 'Keys', 'Requests', 'Errors', 'Tokens in / out', 'Cost'];
  root.append(
    refreshButton,
    h(
      'table',
      {},
      h('caption', {}, 'Tenants'),
      h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', { scope: 'col' }, column)))),
      body,
    ),
    note,
  );
  const keysPanel = mountKeysPanel(root, api, {
    showError,
    clearError,
    changed: () => {
      refresh().catch(showError);
    },
  });

  const refresh = async () => {
    let tenants: Tenant[];
    let keys: KeyListing[];
    let usage: Usage[];
    try {
      [tenants, keys, usage] = await Promise.all([
        api.json<{ data: Tenant[] }>('/api/admin/tenants').then((reply) => reply.data),
        api.json<{ data: KeyListing[] }>('/api/admin/keys').then((reply) => reply.data),
        api.json<{ data: Usage[] }>('/api/admin/usage').then((reply) => reply.data),
      ]);
    } catch (error) {
      if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 403))
        throw error;
      body.replaceChildren();
      keysPanel.hide();
      note.textContent =
        error.status === 404
          ? 'This server runs without the gateway, so it has no tenants (llmr serve --gateway).'
          : 'Tenants need a key with the admin scope: type one above.';
      return;
    }
    body.replaceChildren(
      ...tenants.map((tenant) => {
        const own = keys.filter((key) => key.tenantId === tenant.id);
        const revoked = own.filter((key) => key.revokedAt).length;
        const total = usage
          .filter((row) => row.tenantId === tenant.id)
          .reduce(
            (sum, row) => ({
              requests: sum.requests + row.requests,
              errors: sum.errors + row.errors,
              inputTokens: sum.inputTokens + row.inputTokens,
              outputTokens: sum.outputTokens + row.outputTokens,
              costUsd: sum.costUsd + row.costUsd,
            }),
            { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
          );
        return h(
          'tr',
          { 'data-tenant': tenant.name },
          h('th', { scope: 'row' }, tenant.name),
          h('td', { class: 'keys' }, `${own.length - revoked} active, ${revoked} revoked`),
          h('td', { class: 'requests' }, String(total.requests)),
          h('td', { class: 'errors' }, String(total.errors)),
          h('td', { class: 'tokens' }, `${total.inputTokens} / ${total.outputTokens}`),
          h('td', { class: 'cost' }, `$${total.costUsd.toFixed(6)}`),
        );
      }),
    );
    keysPanel.render(tenants, keys);
    note.textContent = tenants.length ? '' : 'No tenants yet (llmr tenants create <name>).';
  };
  refreshButton.addEventListener('click', () => refresh().catch(showError));
  return { refresh };
}
