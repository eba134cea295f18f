/**
 * Child process for the durability test: charges requests one after another and prints
 * `ack <n>` after each one's `finish` resolves, until it is killed.
 */
import { createGateway } from '../gateway';

const [url, key] = process.argv.slice(2);
if (!url || !key) throw new Error('usage: durability-writer <database-url> <key>');
const gateway = await createGateway({ database: url });
const principal = await gateway.authenticate(key);
process.stdout.write('ready\n');
for (let n = 1; ; n++) {
  const admission = await gateway.begin(principal, {
    model: 'durable',
    route: '/v1/chat/completions',
  });
  await admission.finish({ inputTokens: n, outputTokens: 1, status: 200, details: { n } });
  process.stdout.write(`ack ${n}\n`);
}
