import { type Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { bearer, callUnary, collect, startGrpcServer } from './__fixtures__/grpc-test-server';
import { readErrorDetails } from './grpc-errors';
import { LLMR_SERVICES } from './proto-files';

const chat = { model: 'echo', messages: [{ role: 'user', content: 'hi' }] };

describe('createGrpcServer', () => {
  it('reports SERVING through grpc.health.v1 for the server and each service', async () => {
    const { health } = await startGrpcServer();
    for (const service of ['', ...LLMR_SERVICES]) {
      const { response } = await callUnary(health.check, health, { service });
      expect(response.status).toBe('SERVING');
    }
    const unknown = await callUnary(health.check, health, { service: 'nope.Service' }).catch(
      (error: { code: number }) => error,
    );
    expect(unknown).toMatchObject({ code: status.NOT_FOUND });
  });

  it('reports NOT_SERVING to watchers when it shuts down', async () => {
    const { health, grpc } = await startGrpcServer();
    const watch = health.watch({ service: '' });
    const statuses: string[] = [];
    watch.on('data', (message: { status: string }) => statuses.push(message.status));
    watch.on('error', () => {});
    await expect.poll(() => statuses).toEqual(['SERVING']);
    const stopping = grpc.shutdown(500);
    await expect.poll(() => statuses).toEqual(['SERVING', 'NOT_SERVING']);
    watch.cancel();
    await stopping;
  });

  it('lists its services through server reflection', async () => {
    const { reflection } = await startGrpcServer();
    const call = reflection.ServerReflectionInfo();
    const reply = new Promise<{ list_services_response: { service: { name: string }[] } }>(
      (resolve, reject) => {
        call.on('data', resolve);
        call.on('error', reject);
      },
    );
    call.write({ list_services: '' });
    const names = (await reply).list_services_response.service.map((service) => service.name);
    call.end();
    expect(names).toEqual(expect.arrayContaining([...LLMR_SERVICES, 'grpc.health.v1.Health']));
  });

  it('takes the REST API keys as authorization: Bearer metadata', async () => {
    const { generation, models } = await startGrpcServer({ apiKeys: ['grpc-secret'] });
    const missing = await callUnary(models.ListModels, models, {}).catch((error) => error);
    expect(missing).toMatchObject({ code: status.UNAUTHENTICATED });
    expect(readErrorDetails(missing.metadata)?.reason).toBe('invalid_api_key');
    const { messages, error } = await collect(generation.ChatStream(chat, bearer('wrong')));
    expect(messages).toEqual([]);
    expect(error?.code).toBe(status.UNAUTHENTICATED);
    const { response } = await callUnary(generation.Chat, generation, chat, bearer('grpc-secret'));
    expect(response.message.content).toBe('hi');
  });

  it('shares the REST rate limit: RESOURCE_EXHAUSTED with RetryInfo', async () => {
    const { generation } = await startGrpcServer({ limits: { requestsPerMinute: 2 } });
    await callUnary(generation.Chat, generation, chat);
    await callUnary(generation.Chat, generation, chat);
    const error = await callUnary(generation.Chat, generation, chat).catch((caught) => caught);
    expect(error).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    const details = readErrorDetails(error.metadata as Metadata);
    expect(details?.reason).toBe('rate_limit_exceeded');
    expect(details?.retryDelaySeconds).toBeGreaterThan(0);
    expect(error.metadata.get('retry-after')[0]).toBe(String(details?.retryDelaySeconds));
  });

  it('refuses new calls with UNAVAILABLE while the REST server drains', async () => {
    const { generation, rest } = await startGrpcServer();
    const slow = generation.ChatStream({ ...chat, model: 'slow' });
    const slowEnded = collect(slow);
    await new Promise((resolve) => slow.once('data', resolve));
    const draining = rest.shutdown();
    const error = await callUnary(generation.Chat, generation, chat).catch((caught) => caught);
    expect(error).toMatchObject({ code: status.UNAVAILABLE });
    expect(readErrorDetails(error.metadata)?.reason).toBe('shutting_down');
    slow.cancel();
    await slowEnded;
    await draining;
  });
});
