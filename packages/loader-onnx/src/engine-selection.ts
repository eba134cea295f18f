/**
 * Picks the best available ONNX engine among those given, through core's registry
 * (GPU before NPU before CPU, then the order given), and says why, with each
 * unavailable engine's own reason when it can give one.
 */
import { createRegistry, type EngineSelection, type EngineV1 } from '@llmr/core';

interface DescribesAvailability {
  describeAvailability?(): Promise<{ available: boolean; reason: string }>;
}

export async function selectOnnxEngine(
  engines: readonly EngineV1[],
  options: { prefer?: string } = {},
): Promise<EngineSelection & { reasons: Record<string, string> }> {
  const selection = await createRegistry({ engines: [...engines] }).selectEngine(options);
  const reasons: Record<string, string> = {};
  for (const engine of engines) {
    const candidate = selection.candidates.find((entry) => entry.engine === engine.name);
    const described = await (engine as DescribesAvailability)
      .describeAvailability?.()
      .catch(() => undefined);
    reasons[engine.name] =
      described?.reason ??
      (candidate?.available ? `available (${engine.capabilities.device})` : 'not available here');
  }
  const why = Object.entries(reasons)
    .filter(([name]) => name !== selection.engine.name)
    .map(([name, reason]) => `${name}: ${reason}`)
    .join('; ');
  return {
    ...selection,
    reasons,
    explanation: `${selection.explanation}${why ? ` — others: ${why}` : ''}`,
  };
}
