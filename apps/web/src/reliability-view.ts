/**
 * The reliability view: the server's SLOs (each series' SLI, error budget left, p95
 * latency and any burn-rate alert firing) and its A/B experiments (status, and per variant
 * the requests and primary metric), read from `/api/slo` and `/api/experiments`. A server
 * that reports neither (404) gets a plain sentence, not an error. A running experiment can
 * be promoted (one variant then serves everyone) or stopped; both need the server's admin
 * key (`llmr serve --admin-key`), typed into this view and sent as `x-admin-key`.
 */
import { type Api, ApiError } from './api';
import { h } from './dom';

interface SloSeries {
  slo: string;
  labels: Record<string, string>;
  objective: { kind: string; target: number };
  total: number;
  bad: number;
  sli: number;
  errorBudget: { remaining: number };
  latencyMs: { p95?: number };
  burnRates: { rule: string; severity: string; firing: boolean }[];
}

interface ExperimentReport {
  id: string;
  status: string;
  stoppedReason?: string;
  promoted?: string;
  primaryMetric: string;
  // A metric with no samples yet has a null mean.
  variants: { name: string; requests: number; metrics: Record<string, { mean?: number | null }> }[];
}

export interface ReliabilityView {
  refresh(): Promise<void>;
}

const percent = (value: number) => `${(value * 100).toFixed(2)}%`;

function table(caption: string, columns: string[], body: HTMLTableSectionElement) {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', { scope: 'col' }, column)))),
    body,
  );
}

/** The list, or undefined when this server does not serve the endpoint at all. */
async function listOrMissing<T>(api: Api, path: string): Promise<T[] | undefined> {
  try {
    return (await api.json<{ data: T[] }>(path)).data;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

function sloRow(series: SloSeries): HTMLTableRowElement {
  const labels = Object.entries(series.labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  const firing = series.burnRates.filter((burn) => burn.firing);
  return h(
    'tr',
    { 'data-slo': series.slo, 'data-series': labels, 'data-firing': String(firing.length > 0) },
    h(
      'th',
      { scope: 'row' },
      `${series.slo} (${series.objective.kind} ${percent(series.objective.target)})`,
    ),
    h('td', {}, labels || 'all'),
    h('td', { class: 'requests' }, `${series.total} (${series.bad} bad)`),
    h('td', { class: 'sli' }, percent(series.sli)),
    h('td', { class: 'budget' }, percent(series.errorBudget.remaining)),
    h('td', {}, series.latencyMs.p95 === undefined ? '' : `${Math.round(series.latencyMs.p95)} ms`),
    h(
      'td',
      { class: 'alerts' },
      firing.length ? firing.map((burn) => `${burn.severity}: ${burn.rule}`).join(', ') : 'none',
    ),
  );
}

/** What the experiment rows' buttons do. */
interface ExperimentActions {
  promote(id: string, variant: string): void;
  stop(id: string): void;
}

function experimentActions(report: ExperimentReport, actions: ExperimentActions) {
  if (report.status !== 'running') return h('td', { class: 'actions' });
  const variant = h(
    'select',
    { 'aria-label': `Variant of ${report.id} to promote` },
    ...report.variants.map((candidate) => h('option', { value: candidate.name }, candidate.name)),
  );
  const promote = h('button', { type: 'button' }, 'Promote');
  const stop = h('button', { type: 'button' }, 'Stop');
  promote.addEventListener('click', () => actions.promote(report.id, variant.value));
  stop.addEventListener('click', () => actions.stop(report.id));
  return h('td', { class: 'actions' }, variant, promote, stop);
}

function experimentRow(report: ExperimentReport, actions: ExperimentActions): HTMLTableRowElement {
  const variants = report.variants
    .map((variant) => {
      const mean = variant.metrics[report.primaryMetric]?.mean;
      return `${variant.name}: ${variant.requests} requests${mean == null ? '' : `, ${report.primaryMetric} ${Number(mean.toFixed(3))}`}`;
    })
    .join('; ');
  const status = [
    report.status,
    report.promoted && `promoted ${report.promoted}`,
    report.stoppedReason,
  ]
    .filter(Boolean)
    .join(', ');
  return h(
    'tr',
    { 'data-experiment': report.id, 'data-status': report.status },
    h('th', { scope: 'row' }, report.id),
    h('td', { class: 'status' }, status),
    h('td', {}, report.primaryMetric),
    h('td', { class: 'variants' }, variants),
    experimentActions(report, actions),
  );
}

export function mountReliabilityView(
  root: HTMLElement,
  api: Api,
  showError: (error: unknown) => void,
  clearError: () => void,
): ReliabilityView {
  const refreshButton = h('button', { type: 'button' }, 'Refresh');
  // Kept in this input only: the admin key is needed for two rare actions, not stored.
  const adminKey = h('input', { type: 'password', autocomplete: 'off', placeholder: 'none' });
  const sloBody = h('tbody');
  const experimentBody = h('tbody');
  const sloNote = h('p', { class: 'note', 'aria-live': 'polite' });
  const experimentNote = h('p', { class: 'note', 'aria-live': 'polite' });
  root.append(
    refreshButton,
    table(
      'Service level objectives',
      ['SLO', 'Series', 'Requests', 'SLI', 'Error budget left', 'p95', 'Alerts firing'],
      sloBody,
    ),
    sloNote,
    table(
      'Experiments',
      ['Experiment', 'Status', 'Primary metric', 'Variants', 'Actions'],
      experimentBody,
    ),
    h('label', {}, 'Admin key (for promote and stop) ', adminKey),
    experimentNote,
  );

  const act = async (id: string, action: 'promote' | 'stop', body: Record<string, string>) => {
    clearError();
    await api.json(`/api/experiments/${encodeURIComponent(id)}/${action}`, {
      method: 'POST',
      headers: { 'x-admin-key': adminKey.value.trim() },
      body: JSON.stringify(body),
    });
    await refresh();
    experimentNote.textContent =
      action === 'promote' ? `Promoted ${body.variant} in ${id}.` : `Stopped ${id}.`;
  };
  const actions: ExperimentActions = {
    promote: (id, variant) => act(id, 'promote', { variant }).catch(showError),
    stop: (id) => act(id, 'stop', { reason: 'stopped from the console' }).catch(showError),
  };

  const refresh = async () => {
    const [slos, experiments] = await Promise.all([
      listOrMissing<SloSeries>(api, '/api/slo'),
      listOrMissing<{ id: string }>(api, '/api/experiments'),
    ]);
    sloBody.replaceChildren(...(slos ?? []).map(sloRow));
    sloNote.textContent =
      slos === undefined
        ? 'This server does not report SLOs.'
        : slos.length === 0
          ? 'No requests measured yet.'
          : '';
    const reports = await Promise.all(
      (experiments ?? []).map((experiment) =>
        api.json<ExperimentReport>(`/api/experiments/${encodeURIComponent(experiment.id)}`),
      ),
    );
    experimentBody.replaceChildren(...reports.map((report) => experimentRow(report, actions)));
    experimentNote.textContent =
      experiments === undefined
        ? 'This server runs no experiments.'
        : reports.length === 0
          ? 'No experiments configured (llmr serve --experiments <file>).'
          : '';
  };
  refreshButton.addEventListener('click', () => refresh().catch(showError));
  return { refresh };
}
