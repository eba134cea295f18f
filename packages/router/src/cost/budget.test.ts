import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock';
import { RouterError } from '../errors';
import { createRouter } from '../router';
import { BudgetTracker } from './budget-tracker';
import { CostOptimizer } from './cost-optimizer';
import { QualityScorer } from './quality-scorer';

const script = (text: string) => createMockModel({ mode: 'script', replies: [text] });

// Prices chosen so one request of 'x' (2 prompt tokens with BOS) and 10 output tokens costs
// exactly 2 * 1 + 10 * 10 = 102 USD per 1M tokens -> $0.000102 on premium.
function budgetRouter(onExceeded: 'refuse' | 'downgrade', downgradeTo?: string[]) {
  const clock = createManualClock();
  const router = createRouter({
    clock,
    models: [
      {
        id: 'premium',
        model: script('premium says hi'),
        pricing: { input: 1, output: 10 },
        quality: 0.9,
      },
      {
        id: 'budget',
        model: script('budget says hi'),
        pricing: { input: 0.01, output: 0.1 },
        quality: 0.3,
      },
      { id: 'free', model: script('free says hi') },
    ],
    routes: {
      paid: {
        models: ['premium', 'budget', 'free'],
        strategy: 'quality-first',
        budget: {
          limitUsd: 0.0002,
          windowMs: 60_000,
          onExceeded,
          ...(downgradeTo ? { downgradeTo } : {}),
        },
      },
    },
  });
  return { clock, router };
}

describe('BudgetTracker', () => {
  it('trims its log on every record, so memory stays bounded by the window', async () => {
    const clock = createManualClock();
    const tracker = new BudgetTracker(clock);
    for (let index = 0; index < 1000; index++) {
      tracker.record('paid', 0.01, 1_000);
      await clock.advance(100);
    }
    // Ten entries fit in a 1000 ms window at one per 100 ms; spent() was never called.
    expect(tracker.entries('paid')).toBeLessThanOrEqual(10);
    expect(tracker.spent('paid', 1_000)).toBeCloseTo(0.09, 6);
  });
});

describe('costs and budgets', () => {
  it('computes the live cost of each request from its usage', async () => {
    const { router } = budgetRouter('refuse');
    const result = await router.generate({ model: 'paid', prompt: 'x', maxTokens: 10 });
    expect(result.usage).toEqual({ inputTokens: 2, outputTokens: 10 });
    expect(result.routing.costUsd).toBeCloseTo(0.000102, 12);
    expect(router.stats().models.premium!.totalCostUsd).toBeCloseTo(0.000102, 12);
    expect(router.stats().budgets.paid).toMatchObject({ limitUsd: 0.0002, exceeded: false });
  });

  it('refuses with budget-exceeded once a window is spent, and serves again when it slides', async () => {
    const { clock, router } = budgetRouter('refuse');
    await router.generate({ model: 'paid', prompt: 'x', maxTokens: 10 });
    await clock.advance(1_000);
    await router.generate({ model: 'paid', prompt: 'x', maxTokens: 10 });
    const error = await router
      .generate({ model: 'paid', prompt: 'x', maxTokens: 10 })
      .catch((caught) => caught);
    expect(RouterError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'budget-exceeded', retryAfterMs: 59_000 });
    expect(error.message).toMatch(/Route "paid" has spent \$0\.000204 of its \$0\.0002 budget/);
    // Pinning a model directly is not a route, so no route budget applies.
    expect((await router.generate({ model: 'premium', prompt: 'x' })).text).toBe('premium says hi');
    await clock.advance(59_000);
    expect((await router.generate({ model: 'paid', prompt: 'x', maxTokens: 10 })).text).toBe(
      'premium sa',
    );
  });

  it('downgrades to the cheapest model once spent, and says so in the routing', async () => {
    const { router } = budgetRouter('downgrade');
    await router.generate({ model: 'paid', prompt: 'x', maxTokens: 10 });
    await router.generate({ model: 'paid', prompt: 'x', maxTokens: 10 });
    const result = await router.generate({ model: 'paid', prompt: 'x', maxTokens: 10 });
    expect(result.text).toBe('free says ');
    expect(result.routing).toMatchObject({
      strategy: 'cost-optimized',
      downgraded: { reason: 'budget-exceeded', route: 'paid', limitUsd: 0.0002 },
    });
  });

  it('downgrades to the configured models when given', async () => {
    const { router } = budgetRouter('downgrade', ['budget']);
    await router.generate({ model: 'paid', prompt: 'x', maxTokens: 10 });
    await router.generate({ model: 'paid', prompt: 'x', maxTokens: 10 });
    expect((await router.generate({ model: 'paid', prompt: 'x', maxTokens: 10 })).text).toBe(
      'budget say',
    );
  });
});

describe('CostOptimizer and QualityScorer', () => {
  it('prices tokens per million and costs nothing for unpriced models', () => {
    const costs = new CostOptimizer();
    costs.setPricing([
      ['m', { input: 2, output: 6 }],
      ['local', undefined],
    ]);
    expect(costs.estimate('m', 1_000_000, 500_000)).toBe(5);
    expect(costs.costOf('local', { inputTokens: 100, outputTokens: 100 })).toBe(0);
  });

  it('blends priors with feedback and penalises errors', () => {
    const scorer = new QualityScorer();
    scorer.setPriors([['m', 0.8]]);
    expect(scorer.score('m')).toBe(0.8);
    expect(scorer.score('unknown')).toBe(0.5);
    expect(scorer.score('m', 0.5)).toBeCloseTo(0.6);
    for (let index = 0; index < 10; index++) scorer.record('m', 0);
    expect(scorer.score('m')).toBeLessThan(0.5);
  });
});
