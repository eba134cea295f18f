import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { callUnary, startGrpcServer } from './__fixtures__/grpc-test-server';

describe('ModelService, EmbeddingService, TokenizerService', () => {
  it('lists and gets models', async () => {
    const { models } = await startGrpcServer();
    const { response } = await callUnary(models.ListModels, models, {});
    const ids = response.models.map((model: { id: string }) => model.id);
    expect(ids).toEqual(['echo', 'writer', 'slow', 'flaky']);
    const echo = await callUnary(models.GetModel, models, { model: 'echo' });
    expect(echo.response).toMatchObject({ id: 'echo', loaded: true });
    expect(echo.response.info.capabilities).toContain('chat');
    const missing = await callUnary(models.GetModel, models, { model: 'nope' }).catch(
      (error) => error,
    );
    expect(missing).toMatchObject({ code: status.NOT_FOUND });
  });

  it('embeds, with dimensions cut and renormalised as REST does', async () => {
    const { embeddings } = await startGrpcServer();
    const { response, metadata } = await callUnary(embeddings.Embed, embeddings, {
      model: 'echo',
      inputs: ['first', 'second'],
      dimensions: 4,
    });
    expect(response.embeddings).toHaveLength(2);
    for (const embedding of response.embeddings) {
      expect(embedding.values).toHaveLength(4);
      expect(Math.hypot(...embedding.values)).toBeCloseTo(1, 5);
    }
    expect(response.routing.model).toBe('echo');
    expect(metadata.get('x-llmr-model')).toEqual(['echo']);
    const empty = await callUnary(embeddings.Embed, embeddings, {
      model: 'echo',
      inputs: [],
    }).catch((error) => error);
    expect(empty).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(empty.details).toMatch(/1 to 2048 texts/);
  });

  it('tokenizes and detokenizes with the model tokenizer', async () => {
    const { tokenizer } = await startGrpcServer();
    const { response } = await callUnary(tokenizer.Tokenize, tokenizer, {
      model: 'echo',
      text: 'héllo',
    });
    // The mock tokenizer's ids are the UTF-8 bytes.
    expect(response).toEqual({ model: 'echo', tokens: [...Buffer.from('héllo')] });
    const back = await callUnary(tokenizer.Detokenize, tokenizer, {
      model: 'echo',
      tokens: response.tokens,
    });
    expect(back.response).toEqual({ model: 'echo', text: 'héllo' });
    const ambiguous = await callUnary(tokenizer.Tokenize, tokenizer, {
      model: 'auto',
      text: 'x',
    }).catch((error) => error);
    expect(ambiguous).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(ambiguous.details).toMatch(/routes over 4 models .*name one of them/);
  });
});
