import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type RangeServer, startRangeServer } from '@llmr/binary-io/testing';
import { LoadError, ParseError } from '@llmr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensorsCheckpoint, parseSafetensorsIndex } from './safetensors-checkpoint';
import {
  type SafetensorsWriteTensor,
  writeSafetensors,
  writeShardedSafetensors,
} from './safetensors-writer';

let directory: string;
let server: RangeServer;

function layer(index: number): SafetensorsWriteTensor {
  return {
    name: `model.layers.${index}.weight`,
    dtype: 'F32',
    shape: [16, 16],
    data: () => new Float32Array(256).fill(index),
  };
}
const layers = () => Array.from({ length: 5 }, (_, index) => layer(index));

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'llmr-safetensors-checkpoint-'));
  server = await startRangeServer();
});
afterAll(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});

describe('sharded checkpoints', () => {
  it('writes shards of bounded size plus an index, and reads them back as one', async () => {
    const dir = join(directory, 'sharded');
    await mkdir(dir);
    const result = await writeShardedSafetensors(dir, layers(), {
      maxShardSize: 2048,
      metadata: { format: 'pt' },
    });
    expect(result.files).toEqual([
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
    ]);
    const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata.total_size).toBe(5 * 1024);
    expect(index.weight_map['model.layers.4.weight']).toBe('model-00003-of-00003.safetensors');

    for (const source of [
      dir,
      join(dir, 'model.safetensors.index.json'),
      pathToFileURL(join(dir, 'model.safetensors.index.json')),
    ]) {
      const checkpoint = await openSafetensorsCheckpoint(source);
      expect(checkpoint.names).toEqual(layers().map((tensor) => tensor.name));
      expect(checkpoint.files).toHaveLength(3);
      expect(checkpoint.metadata.format).toBe('pt');
      expect(checkpoint.index?.metadata.total_size).toBe(5120);
      expect(checkpoint.shardOf('model.layers.2.weight')).toBe('model-00002-of-00003.safetensors');
      expect((await checkpoint.readFloat32('model.layers.3.weight'))[255]).toBe(3);
      expect(checkpoint.shape('model.layers.0.weight')).toEqual([16, 16]);
      await checkpoint.close();
    }
  });

  it('writes a single model.safetensors without index when everything fits', async () => {
    const dir = join(directory, 'single');
    await mkdir(dir);
    const result = await writeShardedSafetensors(dir, layers());
    expect(result.files).toEqual(['model.safetensors']);
    expect(result.index).toBeUndefined();
    const checkpoint = await openSafetensorsCheckpoint(dir);
    expect(checkpoint.index).toBeUndefined();
    expect(checkpoint.names).toHaveLength(5);
    expect(checkpoint.shardOf('model.layers.0.weight')).toBeUndefined();
    await checkpoint.close();
  });

  it('opens what the converter opens: a directory with model.safetensors (names, shape, dtype, readFloat32, close)', async () => {
    const dir = join(directory, 'hf');
    await mkdir(dir);
    await writeSafetensors(
      join(dir, 'model.safetensors'),
      [{ name: 'w', dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
      { metadata: { format: 'pt' } },
    );
    await writeFile(join(dir, 'config.json'), '{}');
    const tensors = await openSafetensorsCheckpoint(dir);
    expect(tensors.names).toEqual(['w']);
    expect(tensors.shape('w')).toEqual([2, 3]);
    expect(tensors.dtype('w')).toBe('F32');
    expect(Array.from(await tensors.readFloat32('w'))).toEqual([1, 2, 3, 4, 5, 6]);
    await tensors.close();
  });

  it('reads a sharded checkpoint over HTTP, and from bytes with resolveShard', async () => {
    const files = new Map<string, Uint8Array>();
    await writeShardedSafetensors(
      (fileName) => ({
        write(chunk: Uint8Array) {
          const previous = files.get(fileName) ?? new Uint8Array(0);
          const joined = new Uint8Array(previous.byteLength + chunk.byteLength);
          joined.set(previous);
          joined.set(chunk, previous.byteLength);
          files.set(fileName, joined);
        },
      }),
      layers(),
      { maxShardSize: 3000 },
    );
    for (const [name, bytes] of files) server.files.set(name, bytes);
    const remote = await openSafetensorsCheckpoint(
      server.url('/range/model.safetensors.index.json'),
    );
    expect(remote.files).toHaveLength(3);
    expect((await remote.readFloat32('model.layers.4.weight'))[0]).toBe(4);
    await remote.close();

    const local = await openSafetensorsCheckpoint(files.get('model.safetensors.index.json')!, {
      resolveShard: (fileName) => new Blob([new Uint8Array(files.get(fileName)!)]),
    });
    expect((await local.readFloat32('model.layers.1.weight'))[7]).toBe(1);
    await local.close();
  });

  it('refuses an index that disagrees with its shards', async () => {
    const dir = join(directory, 'mixed');
    await mkdir(dir);
    await writeSafetensors(join(dir, 'a.safetensors'), [layer(0)]);
    await writeFile(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: {}, weight_map: { 'model.layers.9.weight': 'a.safetensors' } }),
    );
    await expect(openSafetensorsCheckpoint(dir)).rejects.toMatchObject({
      code: 'safetensors-invalid-index',
    });
    await writeFile(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { x: 'missing.safetensors' } }),
    );
    await expect(openSafetensorsCheckpoint(dir)).rejects.toThrow(LoadError);
  });

  it('refuses directories with nothing or too much to open', async () => {
    const empty = join(directory, 'empty');
    await mkdir(empty);
    await expect(openSafetensorsCheckpoint(empty)).rejects.toMatchObject({
      code: 'safetensors-not-found',
    });
    const several = join(directory, 'several');
    await mkdir(several);
    await writeSafetensors(join(several, 'a.safetensors'), [layer(0)]);
    await writeSafetensors(join(several, 'b.safetensors'), [layer(1)]);
    await expect(openSafetensorsCheckpoint(several)).rejects.toThrow(/several candidates/);
  });
});

describe('parseSafetensorsIndex', () => {
  it('parses weight_map and lists shards in order', () => {
    const index = parseSafetensorsIndex(
      '{"metadata":{"total_size":10},"weight_map":{"a":"s2.safetensors","b":"s1.safetensors","c":"s2.safetensors"}}',
    );
    expect(index.shards).toEqual(['s2.safetensors', 's1.safetensors']);
    expect(index.weightMap.get('b')).toBe('s1.safetensors');
    expect(index.metadata).toEqual({ total_size: 10 });
  });

  const bad: [string, string, RegExp][] = [
    ['not JSON', '{', /not valid UTF-8 JSON/],
    ['not an object', '[]', /JSON object/],
    ['no weight_map', '{"metadata":{}}', /no weight_map/],
    ['bad metadata', '{"metadata":1,"weight_map":{}}', /metadata/],
    ['a non-string shard', '{"weight_map":{"a":1}}', /shard file name/],
    [
      'a path outside the directory',
      '{"weight_map":{"a":"../secret.safetensors"}}',
      /plain file name/,
    ],
    ['an absolute path', '{"weight_map":{"a":"/etc/passwd"}}', /plain file name/],
    ['a Windows drive', '{"weight_map":{"a":"C:evil"}}', /plain file name/],
    ['a backslash', '{"weight_map":{"a":"..\\\\evil"}}', /plain file name/],
    ['dot-dot', '{"weight_map":{"a":".."}}', /plain file name/],
    ['an encoded dot-dot', '{"weight_map":{"a":"%2e%2e"}}', /plain file name/],
    ['a query string', '{"weight_map":{"a":"x.safetensors?y=1"}}', /plain file name/],
    ['a control character', '{"weight_map":{"a":"x\\u0001.safetensors"}}', /plain file name/],
  ];
  for (const [what, text, message] of bad) {
    it(`refuses ${what}`, () => {
      let caught: unknown;
      try {
        parseSafetensorsIndex(text);
      } catch (error) {
        caught = error;
      }
      expect(ParseError.isInstance(caught)).toBe(true);
      expect((caught as ParseError).code).toBe('safetensors-invalid-index');
      expect((caught as ParseError).message).toMatch(message);
    });
  }

  it('limits the number of shards and the index size', () => {
    expect(() =>
      parseSafetensorsIndex('{"weight_map":{"a":"1","b":"2","c":"3"}}', {
        limits: { maxShardCount: 2 },
      }),
    ).toThrow(/maxShardCount/);
    expect(() =>
      parseSafetensorsIndex('{"weight_map":{}}', { limits: { maxIndexSize: 4 } }),
    ).toThrow(/maxIndexSize/);
  });
});
