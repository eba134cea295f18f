/**
 * The chat playground: pick a model (or `auto`, the router's choice), set the sampling
 * options, and stream a reply over SSE. Each reply shows what the router decided (the
 * x-llmr-* headers) and its timings. The streaming text sits in an aria-live region so
 * screen readers hear it arrive.
 */
import type { Api } from './api';
import { h } from './dom';
import { sseData } from './sse';

interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

interface Chunk {
  choices?: { delta?: { content?: string } }[];
  error?: { message?: string };
}

export interface Playground {
  refreshModels(): Promise<void>;
}

export function mountPlayground(
  root: HTMLElement,
  api: Api,
  showError: (error: unknown) => void,
): Playground {
  const model = h('select', { id: 'model', name: 'model' });
  const system = h('textarea', { id: 'system', rows: '2', placeholder: 'optional' });
  const temperature = h('input', {
    id: 'temperature',
    type: 'number',
    min: '0',
    max: '2',
    step: '0.1',
    value: '0.7',
  });
  const maxTokens = h('input', { id: 'max-tokens', type: 'number', min: '1', value: '256' });
  const jsonMode = h('input', { id: 'json-mode', type: 'checkbox' });
  const prompt = h('textarea', { id: 'prompt', rows: '3', required: true });
  const send = h('button', { type: 'submit' }, 'Send');
  const stop = h('button', { type: 'button', disabled: true }, 'Stop');
  const clear = h('button', { type: 'button' }, 'Clear');
  const transcript = h('div', { id: 'transcript', 'aria-label': 'Conversation' });
  const history: ChatMessage[] = [];
  let controller: AbortController | undefined;

  const form = h(
    'form',
    // The server validates and explains; the browser's own popups would hide its message.
    { 'aria-label': 'Chat options', novalidate: true },
    h('label', { for: 'model' }, 'Model or route', model),
    h('label', { for: 'temperature' }, 'Temperature', temperature),
    h('label', { for: 'max-tokens' }, 'Max tokens', maxTokens),
    h('label', { for: 'json-mode' }, 'JSON mode', jsonMode),
    h('label', { for: 'system', style: 'grid-column: 1 / -1' }, 'System prompt', system),
    h('label', { for: 'prompt', style: 'grid-column: 1 / -1' }, 'Message', prompt),
    h('div', {}, send, ' ', stop, ' ', clear),
  );
  root.append(form, transcript);

  // Ctrl/Cmd+Enter sends from the message box, as in most chat tools.
  prompt.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  stop.addEventListener('click', () => controller?.abort());
  clear.addEventListener('click', () => {
    history.length = 0;
    transcript.replaceChildren();
  });

  const addMessage = (role: string, text: string) => {
    const body = h('div', { class: 'text' }, text);
    const meta = h('div', { class: 'meta' });
    const element = h('div', { class: `message ${role}` }, h('strong', {}, role), body, meta);
    transcript.append(element);
    return { element, body, meta };
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const content = prompt.value.trim();
    if (!content || controller) return;
    history.push({ role: 'user', content });
    addMessage('user', content);
    prompt.value = '';
    const reply = addMessage('assistant', '');
    reply.body.setAttribute('aria-live', 'polite');
    reply.body.setAttribute('aria-busy', 'true');
    controller = new AbortController();
    send.disabled = true;
    stop.disabled = false;
    const messages: ChatMessage[] = system.value.trim()
      ? [{ role: 'system', content: system.value.trim() }, ...history]
      : [...history];
    const started = performance.now();
    let firstToken: number | undefined;
    let chunks = 0;
    let text = '';
    try {
      const response = await api.fetch('/v1/chat/completions', {
        method: 'POST',
        signal: controller.signal,
        body: JSON.stringify({
          model: model.value || 'auto',
          messages,
          stream: true,
          temperature: Number(temperature.value),
          max_tokens: Number(maxTokens.value),
          ...(jsonMode.checked ? { response_format: { type: 'json_object' } } : {}),
        }),
      });
      const routing = ['x-llmr-model', 'x-llmr-strategy', 'x-llmr-attempts']
        .map((name) => [name.slice(7), response.headers.get(name)] as const)
        .filter(([, value]) => value);
      reply.meta.textContent = routing.map(([name, value]) => `${name}: ${value}`).join(' · ');
      if (!response.body) throw new Error('The server sent no body.');
      for await (const data of sseData(response.body)) {
        if (data === '[DONE]') break;
        const chunk = JSON.parse(data) as Chunk;
        if (chunk.error) throw new Error(chunk.error.message ?? 'The stream failed.');
        const delta = chunk.choices?.[0]?.delta?.content;
        if (!delta) continue;
        firstToken ??= performance.now();
        chunks += 1;
        text += delta;
        reply.body.textContent = text;
      }
      history.push({ role: 'assistant', content: text });
      const total = performance.now() - started;
      const streaming = firstToken === undefined ? 0 : (performance.now() - firstToken) / 1000;
      const timings = [
        `TTFT ${firstToken === undefined ? '–' : Math.round(firstToken - started)} ms`,
        `total ${Math.round(total)} ms`,
        `${chunks} chunks`,
        streaming > 0 ? `${(chunks / streaming).toFixed(1)} chunks/s` : '',
      ].filter(Boolean);
      reply.meta.textContent = [reply.meta.textContent, ...timings].filter(Boolean).join(' · ');
      reply.element.dataset.done = 'true';
    } catch (error) {
      if ((error as Error).name === 'AbortError') reply.meta.textContent += ' · stopped';
      else showError(error);
      history.pop();
      reply.element.dataset.done = 'error';
    } finally {
      reply.body.setAttribute('aria-busy', 'false');
      controller = undefined;
      send.disabled = false;
      stop.disabled = true;
    }
  });

  return {
    async refreshModels() {
      const list = await api.json<{ data: { id: string }[] }>('/v1/models');
      const chosen = model.value;
      model.replaceChildren(
        h('option', { value: 'auto' }, 'auto (router decides)'),
        ...list.data.map((entry) => h('option', { value: entry.id }, entry.id)),
      );
      if (chosen) model.value = chosen;
    },
  };
}
