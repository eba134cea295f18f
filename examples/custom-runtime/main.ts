/**
 * A runtime of your own, composed from llmr's parts in one program: the loaders you
 * choose in a registry, a pipeline stage in front of a route, a routing strategy of your
 * own, and the OpenAI-compatible server over the router. Prints what two requests got:
 * one served, one refused by the guardrail.
 *
 *   pnpm start [models-directory]   (default: ../models)
 */
import { fileURLToPath } from 'node:url';
import { createRegistry } from '@llmr/core';
import { ggufLoader } from '@llmr/loader-gguf';
import { pipelineStages } from '@llmr/pipeline';
import { createRouter, type RoutingStrategy } from '@llmr/router';
import { createRouterBackend, createServer } from '@llmr/server';

const models = process.argv[2] ?? fileURLToPath(new URL('../models/', import.meta.url));

// Only the formats this runtime needs: GGUF on llama.cpp.
const registry = createRegistry({ loaders: [ggufLoader] });

// Prefer a model that is already in memory, so a request never waits for a cold load
// while another candidate is warm; among equals, the route's order.
const preferLoaded: RoutingStrategy = {
  name: 'prefer-loaded',
  rank: (candidates) =>
    [...candidates]
      .sort((a, b) => Number(b.loaded) - Number(a.loaded) || a.order - b.order)
      .map((candidate, index, all) => ({
        modelId: candidate.modelId,
        score: 1 - index / all.length,
        details: { loaded: candidate.loaded },
      })),
};

const router = createRouter({
  registry,
  strategies: [preferLoaded],
  stages: pipelineStages,
  models: [
    { id: 'bigram', source: `${models}/bigram-f16.gguf` },
    { id: 'oracle', source: `${models}/oracle-q8_0.gguf` },
  ],
  routes: { support: { models: ['oracle', 'bigram'], strategy: 'prefer-loaded' } },
  defaultRoute: 'support',
  pipeline: {
    routes: { support: [{ stage: 'guardrails', options: { deny: ['internal roadmap'] } }] },
  },
});

const server = await createServer({ backend: createRouterBackend(router), logger: false });
const url = await server.listen({ port: 0, host: '127.0.0.1' });
try {
  for (const content of ['The lazy dog', 'Tell me the internal roadmap']) {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'support',
        messages: [{ role: 'user', content }],
        max_tokens: 8,
      }),
    });
    const body = await response.json();
    if (response.ok) {
      const strategy = response.headers.get('x-llmr-strategy');
      console.log(
        `${response.status} ${body.model} (${strategy}): ${JSON.stringify(body.choices[0].message.content)}`,
      );
    } else console.log(`${response.status} ${body.error.code}: ${body.error.message}`);
  }
} finally {
  await server.shutdown();
  await router.dispose();
}
