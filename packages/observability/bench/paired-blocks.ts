/**
 * Blocks of work measured in pairs within one process: each round runs one block without
 * and one with the thing measured, in alternating order, after a warm-up, so a slow spell
 * of a busy machine hits both sides of a pair. The result is the median of the per-pair
 * costs with its interquartile range, and the cost between each side's quietest tenth of
 * blocks (contention only ever adds CPU time, so the quietest blocks come closest to what a
 * request costs on a machine of its own).
 */
export interface PairedResult {
  /** Median CPU µs per request without and with. */
  without: number;
  with: number;
  /** Median of `with / without - 1` over the pairs, and its quartiles. */
  cost: number;
  costQuartiles: [number, number];
  /** 10th percentile of CPU µs per request without and with, and the cost between them. */
  quietWithout: number;
  quietWith: number;
  quietCost: number;
}

const at = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.round((values.length - 1) * q)]!;

export async function pairedBlocks(
  block: (withIt: boolean) => Promise<number>,
  rounds: number,
  warmUpRounds = 5,
): Promise<PairedResult> {
  for (let round = 0; round < warmUpRounds; round++) {
    await block(false);
    await block(true);
  }
  const without: number[] = [];
  const withIt: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      without.push(await block(false));
      withIt.push(await block(true));
    } else {
      withIt.push(await block(true));
      without.push(await block(false));
    }
  }
  const costs = withIt.map((value, index) => value / without[index]! - 1);
  return {
    without: at(without, 0.5),
    with: at(withIt, 0.5),
    cost: at(costs, 0.5),
    costQuartiles: [at(costs, 0.25), at(costs, 0.75)],
    quietWithout: at(without, 0.1),
    quietWith: at(withIt, 0.1),
    quietCost: at(withIt, 0.1) / at(without, 0.1) - 1,
  };
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** The two-row table every paired bench prints. */
export function printPairedTable(labels: [string, string], result: PairedResult): void {
  console.table([
    {
      setup: labels[0],
      'CPU µs/request (median)': result.without.toFixed(1),
      'CPU µs/request (quietest 10%)': result.quietWithout.toFixed(1),
    },
    {
      setup: labels[1],
      'CPU µs/request (median)': result.with.toFixed(1),
      'cost (median of pairs)': percent(result.cost),
      'cost (IQR)': result.costQuartiles.map(percent).join(' … '),
      'CPU µs/request (quietest 10%)': result.quietWith.toFixed(1),
      'cost, quietest 10%': percent(result.quietCost),
    },
  ]);
}
