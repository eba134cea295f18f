import { describe, expect, it } from 'vitest';
import { MAX_SCHEMA_NODES } from './compile-json-schema';
import { createJsonConstraint } from './json-constraint';
import { createJsonSchemaAutomaton, MAX_LIVE_STATES } from './json-schema-automaton';

const encoder = new TextEncoder();

function accepts(schema: Record<string, unknown> | undefined, text: string): boolean {
  const automaton = createJsonSchemaAutomaton(schema);
  const states = automaton.advance(automaton.initial(), encoder.encode(text));
  return states.length > 0 && automaton.canEnd(states);
}

function livePrefix(schema: Record<string, unknown> | undefined, text: string): boolean {
  const automaton = createJsonSchemaAutomaton(schema);
  return automaton.advance(automaton.initial(), encoder.encode(text)).length > 0;
}

const person = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 8 },
    age: { type: 'integer' },
    tags: { type: 'array', items: { enum: ['a', 'bc'] }, maxItems: 2 },
    pet: { anyOf: [{ type: 'null' }, { $ref: '#/$defs/pet' }] },
  },
  required: ['name', 'age'],
  $defs: { pet: { type: 'object', properties: { kind: { const: 'cat' } }, required: ['kind'] } },
};

describe('the JSON schema automaton', () => {
  it.each([
    [undefined, '{"a":[1,2.5e-3,true,null,"x\\u00e9"]}'],
    [undefined, '-0.5'],
    [{ type: 'string' }, '"naïve 日本 🙂"'],
    [person, '{"name":"Ada","age":36}'],
    [person, '{"age": 36, "name": "Ada", "tags": ["a", "bc"]}'],
    [person, '{"name":"Ada","age":-1,"pet":{"kind":"cat"}}'],
    [person, '{"name":"Ada","age":1,"pet":null}'],
    [
      { type: 'array', prefixItems: [{ type: 'number' }, { type: 'boolean' }], items: false },
      '[1,false]',
    ],
    [{ type: ['integer', 'null'] }, 'null'],
  ])('accepts %j: %s', (schema, text) => {
    expect(accepts(schema as never, text)).toBe(true);
  });

  it.each([
    [person, '{"name":"Ada"}'], // a required property missing
    [person, '{"name":"Ada","age":1.5}'], // integer
    [person, '{"name":"Ada","age":1,"name":"B"}'], // twice
    [person, '{"name":"Ada","age":1,"other":1}'], // not a listed property
    [person, '{"name":"123456789","age":1}'], // maxLength
    [person, '{"name":"A","age":1,"tags":["a","a","a"]}'], // maxItems
    [person, '{"name":"A","age":1,"tags":["b"]}'], // enum
    [{ type: 'string' }, '"a\nb"'], // raw control character
    [undefined, '{"a":1}x'], // trailing text
    [undefined, '{ "a":1}'], // whitespace where none is allowed
    [undefined, '01'],
  ])('rejects %j: %s', (schema, text) => {
    expect(accepts(schema as never, text)).toBe(false);
  });

  it('knows a prefix is alive before the document is complete', () => {
    expect(livePrefix(person, '{"name":"Ad')).toBe(true);
    expect(livePrefix(person, '{"nam')).toBe(true);
    expect(livePrefix(person, '{"x')).toBe(false);
    expect(accepts(person, '{"name":"Ad')).toBe(false);
  });

  it('works on bytes: a character split across tokens is fine, a broken one is not', () => {
    const automaton = createJsonSchemaAutomaton({ type: 'string' });
    const bytes = encoder.encode('"é"');
    let states = automaton.advance(automaton.initial(), bytes.subarray(0, 2));
    expect(states.length).toBe(1);
    expect(automaton.advance(states, [0x41]).length).toBe(0); // not a continuation byte
    expect(automaton.advance(automaton.initial(), [0x22, 0xff]).length).toBe(0); // never UTF-8
    states = automaton.advance(states, bytes.subarray(2));
    expect(automaton.canEnd(states)).toBe(true);
  });
});

describe('token masks', () => {
  const pieces = [
    '{',
    '}',
    '"',
    'name',
    '":',
    '"A',
    'da"',
    ',',
    ' ',
    'age',
    '1',
    '2',
    'x',
    '{"',
    '"}',
  ];
  const vocabulary = { bytes: pieces.map((piece) => encoder.encode(piece)) };
  const eos = pieces.length;

  it('allows exactly the tokens that keep the text valid, and EOS at the end', () => {
    const constraint = createJsonConstraint({
      schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      vocabulary,
      eos: [eos],
      vocabularySize: pieces.length + 1,
    });
    const allowed = () =>
      [...constraint.mask()].flatMap((bit, token) => (bit ? [pieces[token] ?? '<eos>'] : []));
    expect(allowed()).toEqual(['{', '{"']);
    expect(constraint.accept(pieces.indexOf('{"'))).toBe(true);
    expect(allowed()).toEqual(['name']);
    for (const piece of ['name', '":', '"A', 'da"'])
      expect(constraint.accept(pieces.indexOf(piece))).toBe(true);
    expect(allowed()).toEqual(['}']);
    expect(constraint.accept(pieces.indexOf('x'))).toBe(false);
    expect(constraint.accept(pieces.indexOf('}'))).toBe(true);
    expect(allowed()).toEqual(['<eos>']);
    expect(constraint.finished).toBe(true);
  });

  it('refuses a schema with too many subschemas, naming the cap', () => {
    const properties = Object.fromEntries(
      Array.from({ length: MAX_SCHEMA_NODES }, (_, index) => [`p${index}`, { type: 'string' }]),
    );
    expect(() => createJsonSchemaAutomaton({ type: 'object', properties })).toThrow(
      /MAX_SCHEMA_NODES/,
    );
    // One under the cap (the root is a node too) compiles.
    delete properties.p0;
    expect(() => createJsonSchemaAutomaton({ type: 'object', properties })).not.toThrow();
  });

  it('refuses a schema that keeps too many states alive, naming the cap', () => {
    // Distinct string alternatives: after the opening quote every one is still possible.
    const wide = {
      anyOf: Array.from({ length: MAX_LIVE_STATES + 1 }, (_, index) => ({
        type: 'string',
        maxLength: index + 1,
      })),
    };
    const automaton = createJsonSchemaAutomaton(wide);
    expect(() => automaton.advance(automaton.initial(), encoder.encode('"a'))).toThrow(
      expect.objectContaining({
        code: 'invalid-argument',
        message: expect.stringMatching(/MAX_LIVE_STATES/),
      }),
    );
    expect(accepts({ anyOf: wide.anyOf.slice(0, 8) }, '"abc"')).toBe(true);
  });
});
