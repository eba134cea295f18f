import { createSeededRandom } from '@llmr/core';
import {
  type Attributes,
  type Context,
  type Link,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanLimits,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { OtlpSpanSerializer, serializeSpans } from './otlp-span-serializer';

/** Real SDK spans: a provider whose processor keeps every ended span in memory. */
function recorder(
  options: { resource?: Attributes; schemaUrl?: string; spanLimits?: SpanLimits } = {},
) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes(
      options.resource ?? { 'service.name': 'llmr-test' },
      options.schemaUrl ? { schemaUrl: options.schemaUrl } : undefined,
    ),
    spanLimits: options.spanLimits,
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  return {
    tracer: (name = 'llmr', version?: string, schemaUrl?: string) =>
      provider.getTracer(name, version, schemaUrl ? { schemaUrl } : undefined),
    spans: () => exporter.getFinishedSpans() as ReadableSpan[],
  };
}

/** The first offset where two byte arrays differ, -1 when they are equal. */
function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  const length = Math.min(actual.length, expected.length);
  for (let index = 0; index < length; index++) if (actual[index] !== expected[index]) return index;
  return actual.length === expected.length ? -1 : length;
}

function expectSdkBytes(
  spans: readonly ReadableSpan[],
  serialize: (spans: readonly ReadableSpan[]) => Uint8Array = serializeSpans,
): Uint8Array {
  const expected = ProtobufTraceSerializer.serializeRequest(spans as ReadableSpan[]) as Uint8Array;
  const actual = serialize(spans);
  expect({ length: actual.length, firstDifference: firstDifference(actual, expected) }).toEqual({
    length: expected.length,
    firstDifference: -1,
  });
  return actual;
}

const REMOTE_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const REMOTE_PARENT = '00f067aa0ba902b7';

function remoteParent(traceState?: string): Context {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: REMOTE_TRACE,
    spanId: REMOTE_PARENT,
    traceFlags: 1,
    isRemote: true,
    ...(traceState ? { traceState: new TraceState(traceState) } : {}),
  });
}

describe('serializeSpans: the SDK’s bytes', () => {
  it('encodes every attribute type as the SDK does', () => {
    const { tracer, spans } = recorder();
    const span = tracer().startSpan('attributes');
    span.setAttributes({
      'string.empty': '',
      'string.ascii': 'gpt-4o-mini',
      'string.non-ascii': 'Grüße, 東京',
      'string.emoji': 'model 🤖 says 👋🏽',
      'string.lone-high-surrogate': 'a\uD800b',
      'string.lone-low-surrogate': '\uDC00',
      'string.reversed-pair': '\uDE00\uD83D',
      'string.127': 'x'.repeat(127),
      'string.128': 'x'.repeat(128),
      'string.200-non-ascii': 'é'.repeat(100),
      'string.over-16383-bytes': 'y'.repeat(20_000),
      'string.over-16383-bytes-emoji': '🙂'.repeat(5_000),
      'string.over-2-megabytes': 'z'.repeat(2_100_000),
      'bool.true': true,
      'bool.false': false,
      'int.zero': 0,
      'int.one': 1,
      'int.127': 127,
      'int.128': 128,
      'int.negative': -1,
      'int.most-negative-32': -(2 ** 31),
      'int.over-2^31': 2 ** 31 + 5,
      'int.over-2^32': 2 ** 32 + 7,
      'int.over-2^53': 2 ** 60,
      'int.negative-over-2^53': -(2 ** 60),
      'int.min-int64': -(2 ** 63),
      'int.2^63-is-a-double': 2 ** 63,
      'int.max-safe': Number.MAX_SAFE_INTEGER,
      'double.half': 0.5,
      'double.negative': -3.25,
      'double.nan': Number.NaN,
      'double.infinity': Number.POSITIVE_INFINITY,
      'double.negative-infinity': Number.NEGATIVE_INFINITY,
      'double.negative-zero': -0,
      'double.tiny': Number.MIN_VALUE,
      'array.empty': [],
      'array.strings': ['a', '', 'ü', '🙂'],
      'array.booleans': [true, false],
      'array.ints': [0, -1, 2 ** 40],
      'array.doubles': [0.1, Number.NaN, -0],
      'array.with-null': ['a', null, 'b'],
      'array.numbers-with-null': [1, null, 2.5],
    });
    span.setAttribute('bytes', new Uint8Array([0, 1, 2, 255]));
    span.setAttribute('bytes.empty', new Uint8Array(0));
    span.setAttribute('kvlist', {
      model: 'm',
      score: 0.5,
      nested: { deep: [1, 'two', { three: true }] },
    });
    span.setAttribute('kvlist.empty', {});
    span.setAttribute('array.mixed', [
      'a',
      1,
      1.5,
      true,
      null,
      new Uint8Array([7]),
      ['nested'],
      { k: 'v' },
    ]);
    span.setAttribute('null', null);
    span.setAttribute('12', 'an integer-like key comes first in the SDK’s for-in order');
    span.end();
    const [recorded] = spans();
    expect(recorded?.attributes.bytes).toBeInstanceOf(Uint8Array);
    expect(recorded?.attributes.kvlist).toEqual({
      model: 'm',
      score: 0.5,
      nested: { deep: [1, 'two', { three: true }] },
    });
    expectSdkBytes(spans());
  });

  it('encodes every span kind and status', () => {
    const { tracer, spans } = recorder();
    for (const kind of [
      SpanKind.INTERNAL,
      SpanKind.SERVER,
      SpanKind.CLIENT,
      SpanKind.PRODUCER,
      SpanKind.CONSUMER,
    ])
      tracer().startSpan(`kind ${kind}`, { kind }).end();
    const statuses = [
      undefined,
      { code: SpanStatusCode.OK },
      { code: SpanStatusCode.ERROR },
      { code: SpanStatusCode.ERROR, message: 'upstream timed out after 30 s' },
      { code: SpanStatusCode.ERROR, message: '' },
      { code: SpanStatusCode.ERROR, message: 'ü'.repeat(300) },
    ];
    for (const status of statuses) {
      const span = tracer().startSpan('status');
      if (status) span.setStatus(status);
      span.end();
    }
    expect(spans().map((span) => span.kind)).toContain(SpanKind.CONSUMER);
    expectSdkBytes(spans());
  });

  it('encodes events, links, trace state and each kind of parent', () => {
    const { tracer, spans } = recorder();
    const root = tracer().startSpan('no parent', { startTime: [1_700_000_000, 123_456_789] });
    root.addEvent('plain');
    root.addEvent(
      'with attributes',
      { 'gen_ai.token': 'hi', count: 3 },
      [1_700_000_000, 999_999_999],
    );
    root.addEvent('', {}, 0);
    const local = tracer().startSpan('local parent', {}, trace.setSpan(ROOT_CONTEXT, root));
    local.end([1_700_000_001, 5]);
    const links: Link[] = [
      { context: { traceId: REMOTE_TRACE, spanId: REMOTE_PARENT, traceFlags: 1 } },
      {
        context: {
          traceId: REMOTE_TRACE,
          spanId: '1111111111111111',
          traceFlags: 0,
          isRemote: true,
          traceState: new TraceState('vendor=value,other=x'),
        },
        attributes: { 'link.reason': 'retry', attempt: 2 },
      },
    ];
    const remote = tracer().startSpan(
      'remote parent',
      { links, kind: SpanKind.SERVER },
      remoteParent('congo=t61rcWkgMzE'),
    );
    remote.addLink({
      context: { traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), traceFlags: 255 },
    });
    remote.end();
    root.end([4_500_000_000, 1]); // seconds past 2^32: the high word of the nanoseconds
    const recorded = spans();
    expect(
      recorded
        .find((span) => span.name === 'remote parent')
        ?.spanContext()
        .traceState?.serialize(),
    ).toBe('congo=t61rcWkgMzE');
    expect(
      recorded.find((span) => span.name === 'remote parent')?.parentSpanContext?.isRemote,
    ).toBe(true);
    const localParent = recorded.find((span) => span.name === 'local parent')?.parentSpanContext;
    expect(localParent?.spanId).toBe(root.spanContext().spanId);
    expect(localParent?.isRemote).toBeFalsy();
    expectSdkBytes(recorded);
  });

  it('writes the dropped counts that span limits leave', () => {
    const { tracer, spans } = recorder({
      spanLimits: {
        attributeCountLimit: 2,
        eventCountLimit: 1,
        linkCountLimit: 1,
        attributePerEventCountLimit: 1,
        attributePerLinkCountLimit: 1,
        attributeValueLengthLimit: 4,
      },
    });
    const link = (spanId: string): Link => ({
      context: { traceId: REMOTE_TRACE, spanId, traceFlags: 1 },
      attributes: { a: 1, b: 2, c: 3 },
    });
    const span = tracer().startSpan('limited', {
      attributes: { a: 'truncated value', b: 2, c: 3, d: 4 },
      links: [link('1111111111111111'), link('2222222222222222'), link('3333333333333333')],
    });
    // The SDK drops the oldest events past the limit.
    span.addEvent('dropped', { a: 1 });
    span.addEvent('dropped too');
    span.addEvent('kept', { a: 1, b: 2, c: 3 });
    span.end();
    const [recorded] = spans();
    expect(recorded?.droppedAttributesCount).toBe(2);
    expect(recorded?.droppedEventsCount).toBe(2);
    expect(recorded?.droppedLinksCount).toBe(2);
    expect(recorded?.events[0]?.droppedAttributesCount).toBe(2);
    expectSdkBytes(spans());
  });

  it('groups two resources and two scopes in one batch by identity, in order of first appearance', () => {
    const first = recorder({
      resource: { 'service.name': 'a', 'host.name': 'h1' },
      schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
    });
    const second = recorder({ resource: { 'service.name': 'b' } });
    const batch: ReadableSpan[] = [];
    for (let index = 0; index < 6; index++) {
      const source = index % 2 === 0 ? first : second;
      const tracer =
        index % 3 === 0
          ? source.tracer('llmr')
          : source.tracer('llmr.router', '1.2.3', 'https://example.com/schema');
      tracer.startSpan(`span ${index}`).end();
    }
    batch.push(...first.spans(), ...second.spans());
    // Interleave, so grouping has to reorder.
    batch.sort((left, right) => left.name.localeCompare(right.name));
    expectSdkBytes(batch);
    expect(serializeSpans([])).toEqual(ProtobufTraceSerializer.serializeRequest([]));
  });

  it('encodes a scope with attributes and dropped attributes, and values no SDK span holds', () => {
    const { tracer, spans } = recorder();
    tracer().startSpan('base', { kind: SpanKind.CLIENT }).end();
    const [base] = spans();
    if (!base) throw new Error('no span recorded');
    const variant = (overrides: Record<string, unknown>) =>
      Object.create(
        base,
        Object.fromEntries(Object.entries(overrides).map(([key, value]) => [key, { value }])),
      ) as ReadableSpan;
    const scope = {
      name: 'scoped',
      version: '',
      attributes: { 'scope.kind': 'test' },
      droppedAttributesCount: 3,
      schemaUrl: '',
    };
    const context = base.spanContext();
    expectSdkBytes([
      variant({ instrumentationScope: scope }),
      variant({ instrumentationScope: scope, kind: undefined, droppedAttributesCount: undefined }),
      variant({ attributes: { big: 2 ** 62, undefinedValue: undefined, bigint: 5n, fn: () => 1 } }),
      variant({
        attributes: undefined,
        events: [{ time: [0, 0], name: 'e', droppedAttributesCount: 7 }],
      }),
      variant({ spanContext: () => ({ ...context, traceId: 'abc', spanId: 'ZZ-g\u0100' }) }),
      variant({
        startTime: [2 ** 33, 999_999_999],
        endTime: [0, 1.5],
        status: { code: 2, message: 'x' },
      }),
      variant({
        parentSpanContext: { traceId: REMOTE_TRACE, spanId: '', traceFlags: 1, isRemote: true },
      }),
    ]);
  });

  it('encodes batches larger than what is left of its slab, and larger than a slab', () => {
    const { tracer, spans } = recorder();
    for (let index = 0; index < 3000; index++) {
      const span = tracer().startSpan(`span ${index % 7}`, {
        attributes: {
          index,
          'llmr.route': `route-${index % 13}`,
          text: 'lorem ipsum '.repeat(index % 20),
        },
      });
      span.end();
    }
    const all = spans();
    // A serializer of its own, so the first request starts at the beginning of a fresh slab.
    const serializer = new OtlpSpanSerializer();
    const serialize = (batch: readonly ReadableSpan[]) => serializer.serialize(batch);
    const bytes = expectSdkBytes(all, serialize);
    expect(bytes.length).toBeGreaterThan(600 * 1024);
    // Again, twice: the second starts late in the slab the first left and moves to a new one
    // half-way through; the third needs a slab larger than the default.
    expectSdkBytes(all, serialize);
    expectSdkBytes([...all, ...all], serialize);
    expect(
      firstDifference(bytes, ProtobufTraceSerializer.serializeRequest(all) as Uint8Array),
    ).toBe(-1);
  });

  it('agrees with the SDK on a few hundred random spans', () => {
    const random = createSeededRandom(20_261_204);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const strings = [
      '',
      'a',
      'gen_ai.request.model',
      'ü',
      '🙂',
      '\uD800',
      'x'.repeat(130),
      'é'.repeat(70),
    ];
    const randomString = () =>
      random() < 0.5
        ? pick(strings)
        : Array.from({ length: Math.floor(random() * 40) }, () =>
            String.fromCharCode(Math.floor(random() * 0xffff)),
          ).join('');
    const randomNumber = () =>
      pick([
        () => Math.floor(random() * 256),
        () => -Math.floor(random() * 2 ** 40),
        () => Math.floor(random() * 2 ** 62),
        () => random() * 1e6 - 5e5,
        () => pick([Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 63, -(2 ** 63)]),
      ])();
    const randomValue = (depth: number): unknown =>
      pick([
        randomString,
        randomNumber,
        () => random() < 0.5,
        () =>
          depth > 1
            ? 'leaf'
            : Array.from({ length: Math.floor(random() * 4) }, () => randomValue(depth + 1)),
        () => (depth > 1 ? null : { [randomString()]: randomValue(depth + 1) }),
        () =>
          new Uint8Array(
            Array.from({ length: Math.floor(random() * 5) }, () => Math.floor(random() * 256)),
          ),
      ])();
    const randomAttributes = () =>
      Object.fromEntries(
        Array.from({ length: Math.floor(random() * 12) }, () => [randomString(), randomValue(0)]),
      ) as Attributes;
    const sources = [
      recorder({ resource: { 'service.name': 'r1' } }),
      recorder({ resource: { 'service.name': 'r2', 'k🙂': 1 } }),
    ];
    const parents: Context[] = [ROOT_CONTEXT, remoteParent(), remoteParent('a=1')];
    for (let round = 0; round < 40; round++) {
      const source = pick(sources);
      const spanCount = 1 + Math.floor(random() * 15);
      for (let index = 0; index < spanCount; index++) {
        const tracer = source.tracer(
          pick(['llmr', 'llmr.router', 'ü']),
          pick([undefined, '0.1.0']),
        );
        const span = tracer.startSpan(
          randomString(),
          {
            kind: pick([
              SpanKind.INTERNAL,
              SpanKind.SERVER,
              SpanKind.CLIENT,
              SpanKind.PRODUCER,
              SpanKind.CONSUMER,
            ]),
            attributes: randomAttributes(),
            startTime: [Math.floor(random() * 2 ** 34), Math.floor(random() * 1e9)],
            links:
              random() < 0.2
                ? [
                    {
                      context: { traceId: REMOTE_TRACE, spanId: REMOTE_PARENT, traceFlags: 1 },
                      attributes: randomAttributes(),
                    },
                  ]
                : [],
          },
          pick(parents),
        );
        for (let event = Math.floor(random() * 3); event > 0; event--)
          span.addEvent(randomString(), randomAttributes());
        if (random() < 0.3)
          span.setStatus({
            code: pick([SpanStatusCode.OK, SpanStatusCode.ERROR]),
            message: randomString(),
          });
        span.end([Math.floor(random() * 2 ** 34), Math.floor(random() * 1e9)]);
      }
    }
    const all = [...(sources[0]?.spans() ?? []), ...(sources[1]?.spans() ?? [])];
    expect(all.length).toBeGreaterThan(200);
    for (let start = 0; start < all.length; start += 7)
      expectSdkBytes(all.slice(start, start + 1 + (start % 11)));
    expectSdkBytes(all);
  });

  it('keeps its caches bounded and right when more distinct strings arrive than they hold', () => {
    const serializer = new OtlpSpanSerializer({ cacheEntries: 16 });
    const serialize = (spans: readonly ReadableSpan[]) => serializer.serialize(spans);
    const { tracer, spans } = recorder();
    for (let index = 0; index < 200; index++)
      tracer()
        .startSpan(`distinct ${index}`, {
          attributes: { [`key ${index}`]: `value ${index} ü`, shared: 'same' },
        })
        .end();
    for (let start = 0; start < 200; start += 25) {
      expectSdkBytes(spans().slice(start, start + 25), serialize);
      expect(serializer.cacheSizes.strings).toBeLessThanOrEqual(16);
      expect(serializer.cacheSizes.keyValues).toBeLessThanOrEqual(16);
    }
    expectSdkBytes(spans(), serialize);
    expect(serializer.cacheSizes.strings).toBeGreaterThan(0);
    expect(serializer.cacheSizes.keyValues).toBeGreaterThan(0);
    expect(serializer.cacheSizes.strings).toBeLessThanOrEqual(16);
    expect(serializer.cacheSizes.keyValues).toBeLessThanOrEqual(16);
  });

  it('returns bytes that the next call leaves alone', () => {
    const { tracer, spans } = recorder();
    tracer()
      .startSpan('first', { attributes: { a: 'one' } })
      .end();
    const first = serializeSpans(spans());
    const copy = first.slice();
    tracer()
      .startSpan('second, longer', { attributes: { b: 'two'.repeat(50) } })
      .end();
    serializeSpans(spans());
    serializeSpans(spans().slice(1));
    expect(first).toEqual(copy);
    expect(first).toEqual(ProtobufTraceSerializer.serializeRequest(spans().slice(0, 1)));
  });
});
