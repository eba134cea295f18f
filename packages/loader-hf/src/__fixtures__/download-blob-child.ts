/**
 * One process of the cross-process download test: downloads a blob with downloadBlob and
 * prints what it did as one JSON line. Arguments: url, blob path, size, sha256.
 */
import { downloadBlob } from '../download-blob';

const [url, blobPath, size, sha256] = process.argv.slice(2);
let waitedFor: string | undefined;
const result = await downloadBlob({
  url: url!,
  blobPath: blobPath!,
  size: Number(size),
  sha256: sha256!,
  fetch: globalThis.fetch,
  source: 'test',
  repo: 'test/repo',
  path: 'model.gguf',
  onWaitForLock: (holder) => {
    waitedFor = holder;
  },
});
process.stdout.write(`${JSON.stringify({ ...result, waitedFor })}\n`);
