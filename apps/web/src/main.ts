/** The console's entry: the API key box, the section switcher and the error banner. */
import './style.css';
import { createApi } from './api';
import { mountChartsView } from './charts-view';
import { mountModelsView } from './models-view';
import { mountPlayground } from './playground';
import { mountReliabilityView } from './reliability-view';
import { mountTenantsView } from './tenants-view';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const keyInput = element<HTMLInputElement>('api-key');
const banner = element<HTMLDivElement>('error');
// The key stays in this tab only (sessionStorage), never in a URL.
keyInput.value = sessionStorage.getItem('llmr-api-key') ?? '';
const api = createApi(() => keyInput.value);

/** Who raised what the banner shows: a background poll that recovers clears only its own. */
let bannerSource: 'action' | 'charts' = 'action';
function showError(error: unknown) {
  banner.textContent = error instanceof Error ? error.message : String(error);
  banner.hidden = false;
  bannerSource = 'action';
}
function clearError() {
  banner.hidden = true;
  banner.textContent = '';
}
function showChartsError(error: unknown) {
  showError(error);
  bannerSource = 'charts';
}
/** The charts' poll recovered: a user's failed action that came after stays on screen. */
function clearChartsError() {
  if (bannerSource === 'charts') clearError();
}

const playground = mountPlayground(element('playground'), api, showError);
const models = mountModelsView(element('models'), api, showError, () => {
  playground.refreshModels().catch(showError);
});
// A new attempt clears the last failure, so the banner never speaks of an old request.
element('playground').addEventListener('submit', clearError, { capture: true });
const reliability = mountReliabilityView(element('reliability'), api, showError, clearError);
const tenants = mountTenantsView(element('tenants'), api, showError, clearError);
const charts = mountChartsView(element('charts'), api, showChartsError, clearChartsError);
charts.start();

function loadAll() {
  clearError();
  Promise.all([playground.refreshModels(), models.refresh()]).catch(showError);
}
keyInput.addEventListener('change', () => {
  sessionStorage.setItem('llmr-api-key', keyInput.value);
  loadAll();
});

const buttons = [...document.querySelectorAll<HTMLButtonElement>('nav button[data-view]')];
for (const button of buttons)
  button.addEventListener('click', () => {
    for (const other of buttons) {
      const selected = other === button;
      other.setAttribute('aria-pressed', String(selected));
      element(other.dataset.view ?? '').hidden = !selected;
    }
    if (button.dataset.view === 'models') models.refresh().catch(showError);
    if (button.dataset.view === 'reliability') reliability.refresh().catch(showError);
    if (button.dataset.view === 'tenants') tenants.refresh().catch(showError);
  });

loadAll();
