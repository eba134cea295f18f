import { createMockModel } from '@llmr/loader-mock';
import { createRouter } from '../src/index';
const [strategy = 'balanced', scenario = 'changing', countText = '1000', itText = '20000'] = process.argv.slice(2);
const count = Number(countText);
const shared = createMockModel({ mode: 'random' });
const router = createRouter({
  models: Array.from({ length: count }, (_, index) => ({
    id: `model-${index}`, model: shared,
    pricing: { input: (index % 7) + 0.1, output: (index % 11) + 0.2 },
    quality: (index % 10) / 10,
    speed: { ttftMs: 50 + (index % 13) * 10, tokensPerSecond: 20 + (index % 17) * 5 },
    weight: (index % 5) + 1,
  })),
  routes: { [strategy]: { strategy } }, seed: 1,
});
const request = { messages: [{ role: 'user' as const, content: 'What is the capital of France? Answer briefly.' }], maxTokens: 64, model: strategy };
const runtime = (router as any).runtime;
const stats = Array.from({ length: count }, (_, index) => runtime.statsFor(`model-${index}`));
let step = 0;
const change = () => {
  const model = stats[((step >>> 1) * 7919) % count]!;
  if ((step & 1) === 0) model.start(0); else model.end();
  if ((step & 15) === 15) { model.recordOutcome(step % 97 !== 15); model.ttft.record(40 + (step % 200)); }
  step++;
};
const iterations = Number(itText);
for (let i = 0; i < iterations / 4; i++) { if (scenario === 'changing') change(); router.route(request); }
const cpu = process.cpuUsage();
for (let i = 0; i < iterations; i++) { if (scenario === 'changing') change(); router.route(request); }
const used = process.cpuUsage(cpu);
console.log(strategy, scenario, count, ((used.user + used.system) / iterations).toFixed(2), 'cpu us/decision');
