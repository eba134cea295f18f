/**
 * Writes docs/guide/config-reference.md from the router config schema:
 * `pnpm --filter @llmr/docs config-reference` (run it after changing the schema; the
 * docs check fails while the committed page is stale).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configReferencePath, renderConfigReference } from './config-reference';

const target = fileURLToPath(new URL(`../../../${configReferencePath}`, import.meta.url));
writeFileSync(target, renderConfigReference());
console.log(`wrote ${configReferencePath}`);
