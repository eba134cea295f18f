/**
 * WebSocket (`/v1/ws`): one socket carries many requests; each message names its request
 * id, and the chunks are the objects the REST stream sends as `data:`.
 */
import WebSocket from 'ws';

const url = (process.env.LLMR_URL ?? 'http://127.0.0.1:8080').replace(/^http/, 'ws');
const socket = new WebSocket(`${url}/v1/ws`, {
  headers: { authorization: `Bearer ${process.env.LLMR_API_KEY ?? ''}` },
});
socket.on('open', () => {
  const body = {
    model: 'auto',
    messages: [{ role: 'user', content: 'Say hello' }],
    max_tokens: 16,
  };
  socket.send(JSON.stringify({ type: 'chat.completions', id: 'request-1', body }));
});
let text = '';
socket.on('message', (data) => {
  const message = JSON.parse(String(data));
  if (message.type === 'chunk') text += message.chunk.choices[0]?.delta?.content ?? '';
  else if (message.type === 'done') {
    console.log(`websocket (${message.routing.model}): ${JSON.stringify(text)}`);
    console.log(`usage: ${message.usage.prompt_tokens} in, ${message.usage.completion_tokens} out`);
    socket.close();
  } else if (message.type === 'error') {
    console.error(`error ${message.status}: ${message.error.message}`);
    process.exitCode = 1;
    socket.close();
  }
});
