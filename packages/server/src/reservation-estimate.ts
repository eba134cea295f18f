/**
 * How many tokens a request may use, reserved against the tokens-per-minute limit when
 * it is admitted: its prompt (about four characters a token, over-counting on purpose:
 * the difference is returned when it settles) plus the most it may generate.
 */
export function estimateReservation(input: {
  prompt?: unknown;
  messages?: unknown;
  input?: unknown;
  maxTokens?: number | null;
}): number {
  const text = input.messages ?? input.prompt ?? input.input;
  const promptTokens = text === undefined ? 0 : Math.ceil(JSON.stringify(text).length / 4);
  return promptTokens + (input.maxTokens ?? 0);
}
