/**
 * Child process for the durability test: creates a key and charges a request, one after
 * another, printing `key <id>` once the key's creation resolves and `ack <n>` once the
 * request's `finish` resolves, until it is killed.
 */
import { createGateway } from '../gateway';

const [url, key] = process.argv.slice(2);
if (!url || !key) throw new Error('usage: durability-writer <database-url> <key>');
const gateway = await createGateway({ database: url });
const principal = await gateway.authenticate(key);
process.stdout.write('ready\n');
for (let n = 1; ; n++) {
  const created = await gateway.keys.create({ tenant: principal.tenant.id, name: `key-${n}` });
  process.stdout.write(`key ${created.record.id}\n`);
  const admission = await gateway.begin(principal, {
    model: 'durable',
    route: '/v1/chat/completions',
  });
  await admission.finish({ inputTokens: n, outputTokens: 1, status: 200, details: { n } });
  process.stdout.write(`ack ${n}\n`);
}
