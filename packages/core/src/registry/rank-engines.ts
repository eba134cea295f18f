/**
 * The engine selector's rules in one place: available engines first, then the preferred
 * name, then the device (GPU, NPU, CPU), then the order given. The registry ranks tensor
 * engines (EngineV1) with it, and the portable runtimes (worker pool, edge runtimes, the
 * simple runtime) describe themselves as rows for it, so every selection explains itself
 * the same way.
 */
import { LlmrError } from '../errors/llmr-error';

export type EngineDevice = 'cpu' | 'gpu' | 'npu';

export interface EngineRow {
  name: string;
  device: EngineDevice;
  available: boolean;
  /** Why it can or cannot run here, when the engine can say. */
  reason?: string;
}

export interface EngineCandidate {
  engine: string;
  available: boolean;
  device: EngineDevice;
  rank: number;
  reason?: string;
}

export interface EngineRanking {
  /** Index of the chosen row in the rows given. */
  index: number;
  /** Every row, best first. */
  candidates: EngineCandidate[];
  /** What was chosen and why, then what was skipped and why. */
  explanation: string;
}

const deviceRank: Record<EngineDevice, number> = { gpu: 3, npu: 2, cpu: 1 };
const PREFERRED_BONUS = 100;

export function rankEngines(
  rows: readonly EngineRow[],
  options: { prefer?: string } = {},
): EngineRanking {
  const ranked = rows.map((row, order) => ({
    engine: row.name,
    available: row.available,
    device: row.device,
    rank: (row.name === options.prefer ? PREFERRED_BONUS : 0) + deviceRank[row.device],
    ...(row.reason === undefined ? {} : { reason: row.reason }),
    order,
  }));
  ranked.sort(
    (a, b) => Number(b.available) - Number(a.available) || b.rank - a.rank || a.order - b.order,
  );
  const best = ranked[0];
  if (!best?.available) {
    const why = ranked
      .map((candidate) => `${candidate.engine}${candidate.reason ? ` (${candidate.reason})` : ''}`)
      .join(', ');
    throw new LlmrError({
      code: 'no-such-engine',
      message: rows.length
        ? `No registered engine is available here (${why}).`
        : 'No engines are registered: register one (e.g. @llmr/engine-node) first.',
    });
  }
  const unavailable = ranked.filter((candidate) => !candidate.available).map((c) => c.engine);
  const others = ranked
    .filter((candidate) => candidate !== best && candidate.reason)
    .map((candidate) => `${candidate.engine}: ${candidate.reason}`)
    .join('; ');
  return {
    index: best.order,
    candidates: ranked.map(({ order: _order, ...candidate }) => candidate),
    explanation:
      `${best.engine} (${best.device}${options.prefer === best.engine ? ', preferred' : ''})` +
      (best.reason ? `: ${best.reason}` : '') +
      (unavailable.length ? `; unavailable here: ${unavailable.join(', ')}` : '') +
      (others ? ` — others: ${others}` : ''),
  };
}
