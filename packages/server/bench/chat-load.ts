/** autocannon against /v1/chat/completions with the instant model's request, refusing any error. */
import autocannon from 'autocannon';

export async function chatLoad(
  urls: string | string[],
  options: { stream: boolean; connections: number; seconds: number },
): Promise<autocannon.Result> {
  const targets = (Array.isArray(urls) ? urls : [urls]).map((url) => `${url}/v1/chat/completions`);
  const result = await autocannon({
    url: targets.length === 1 ? targets[0]! : targets,
    method: 'POST',
    connections: options.connections,
    duration: options.seconds,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'instant',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 16,
      stream: options.stream,
    }),
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${result.non2xx} non-2xx responses and ${result.errors} errors under load`);
  return result;
}
