/**
 * Key management in the tenants view (admin scope): a form that creates a virtual key for
 * a tenant (name and scopes) and shows the new key once, as the gateway returns it only
 * then; and every key with its scopes and state, with a Revoke button on the active ones.
 * Both go through the admin API (`POST /api/admin/keys`, `POST /api/admin/keys/:id/revoke`);
 * a refusal (a bad field, a missing scope) is the caller's error banner.
 */
import type { Api } from './api';
import { h } from './dom';

export interface KeyListing {
  id: string;
  tenantId: string;
  name: string;
  scopes: string[];
  revokedAt?: string | null;
  expiresAt?: string | null;
}

export interface KeysPanel {
  /** Shows the keys of these tenants; called after every refresh of the tenants view. */
  render(tenants: { id: string; name: string }[], keys: KeyListing[]): void;
  hide(): void;
}

const SCOPES = ['inference', 'metrics', 'admin'] as const;

function keyState(key: KeyListing, now: number): 'active' | 'revoked' | 'expired' {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return 'expired';
  return 'active';
}

export function mountKeysPanel(
  root: HTMLElement,
  api: Api,
  options: { showError: (error: unknown) => void; clearError: () => void; changed: () => void },
): KeysPanel {
  const tenant = h('select', { name: 'tenant' });
  const name = h('input', { name: 'name', autocomplete: 'off', maxlength: '200' });
  const scopes = SCOPES.map((scope) =>
    h('input', { type: 'checkbox', name: 'scope', value: scope, checked: scope === 'inference' }),
  );
  const created = h('output', { class: 'created-key', 'aria-live': 'polite' });
  const form = h(
    'form',
    { 'aria-label': 'Create a key' },
    h('label', {}, 'Tenant ', tenant),
    h('label', {}, 'Key name ', name),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Scopes'),
      ...scopes.map((box) => h('label', {}, box, ` ${box.value}`)),
    ),
    h('button', { type: 'submit' }, 'Create key'),
    created,
  );
  const body = h('tbody');
  const section = h(
    'div',
    { class: 'keys-panel' },
    form,
    h(
      'table',
      {},
      h('caption', {}, 'Keys'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Key', 'Tenant', 'Scopes', 'State', 'Actions'].map((column) =>
            h('th', { scope: 'col' }, column),
          ),
        ),
      ),
      body,
    ),
  );
  section.hidden = true;
  root.append(section);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    options.clearError();
    created.textContent = '';
    const request = {
      tenant: tenant.value,
      ...(name.value.trim() ? { name: name.value.trim() } : {}),
      scopes: scopes.filter((box) => box.checked).map((box) => box.value),
    };
    api
      .json<{ key: string; name: string }>('/api/admin/keys', {
        method: 'POST',
        body: JSON.stringify(request),
      })
      .then((reply) => {
        // The gateway keeps only a digest: this is the one time the key can be copied.
        created.textContent = `New key ${reply.name}: ${reply.key} (copy it now; it is not shown again)`;
        created.dataset.key = reply.key;
        options.changed();
      })
      .catch(options.showError);
  });

  const revoke = (key: KeyListing) => {
    options.clearError();
    api
      .json(`/api/admin/keys/${encodeURIComponent(key.id)}/revoke`, { method: 'POST' })
      .then(options.changed)
      .catch(options.showError);
  };

  return {
    render(tenants, keys) {
      section.hidden = false;
      const selected = tenant.value;
      tenant.replaceChildren(
        ...tenants.map((entry) => h('option', { value: entry.name }, entry.name)),
      );
      if (tenants.some((entry) => entry.name === selected)) tenant.value = selected;
      const names = new Map(tenants.map((entry) => [entry.id, entry.name]));
      const now = Date.now();
      body.replaceChildren(
        ...keys.map((key) => {
          const state = keyState(key, now);
          const button = h('button', { type: 'button' }, 'Revoke');
          button.setAttribute('aria-label', `Revoke ${key.name}`);
          button.addEventListener('click', () => revoke(key));
          return h(
            'tr',
            { 'data-key': key.name, 'data-state': state },
            h('th', { scope: 'row' }, key.name),
            h('td', {}, names.get(key.tenantId) ?? key.tenantId),
            h('td', { class: 'scopes' }, key.scopes.join(', ')),
            h('td', { class: 'state' }, state),
            h('td', {}, state === 'active' ? button : ''),
          );
        }),
      );
    },
    hide() {
      section.hidden = true;
    },
  };
}
