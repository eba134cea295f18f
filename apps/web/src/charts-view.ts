/**
 * Live charts of requests/s, time to first token, tokens/s and errors/s, from the
 * server's /metrics polled once a second. Each chart's latest value is also text (in the
 * figure's caption), so the numbers are readable without the picture. The poll carries
 * the typed key (a gateway guards /metrics with the `metrics` scope); once a poll works
 * again after failing, its error leaves the banner.
 */
import type { Api } from './api';
import { createChart } from './chart';
import { h } from './dom';
import { parseMetrics, type Rates, rates, type Snapshot } from './prometheus';

const SERIES: { key: keyof Rates; title: string; unit: string }[] = [
  { key: 'requestsPerSecond', title: 'Requests/s', unit: 'req/s' },
  { key: 'ttftMs', title: 'Time to first token', unit: 'ms' },
  { key: 'tokensPerSecond', title: 'Tokens/s', unit: 'tok/s' },
  { key: 'errorsPerSecond', title: 'Errors/s', unit: 'err/s' },
];

export interface ChartsView {
  /** Read /metrics once and add a point to every chart. */
  poll(): Promise<void>;
  start(intervalMs?: number): void;
  stop(): void;
}

export function mountChartsView(
  root: HTMLElement,
  api: Api,
  showError: (error: unknown) => void,
  clearError: () => void,
): ChartsView {
  const grid = h('div', { class: 'charts' });
  const charts = SERIES.map((series) => {
    const canvas = h('canvas', { role: 'img', 'aria-label': series.title });
    const caption = h('figcaption', { 'data-series': series.key }, series.title);
    grid.append(h('figure', {}, caption, canvas));
    return { ...series, chart: createChart(canvas, series.unit), caption };
  });
  root.append(grid);
  let previous: Snapshot | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let failing = false;
  const report = (error: unknown) => {
    failing = true;
    showError(error);
  };

  const poll = async () => {
    const response = await api.fetch('/metrics');
    if (failing) {
      failing = false;
      clearError();
    }
    const snapshot = parseMetrics(await response.text(), performance.now() / 1000);
    if (previous) {
      const current = rates(previous, snapshot);
      for (const { key, title, unit, chart, caption } of charts) {
        const value = current[key];
        chart.push(value);
        caption.textContent = `${title}: ${value === undefined ? '–' : value.toFixed(2)} ${unit}`;
      }
    }
    previous = snapshot;
  };
  return {
    poll,
    start(intervalMs = 1000) {
      if (timer) return;
      poll().catch(report);
      timer = setInterval(() => poll().catch(report), intervalMs);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
