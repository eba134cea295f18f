/**
 * Compiles a JSON Schema (the subset `json-schema-automaton.ts` documents) into the nodes
 * the automaton walks: local `$ref`s resolved (recursion included), sizes capped.
 */
import { InvalidArgumentError, type JSONSchema } from '@llmr/core';

export type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';
const JSON_TYPES: readonly JsonType[] = [
  'object',
  'array',
  'string',
  'number',
  'integer',
  'boolean',
  'null',
];

/** A compiled schema node. */
export interface SchemaNode {
  id: number;
  types: Set<JsonType> | undefined;
  literals?: Uint8Array[];
  anyOf?: SchemaNode[];
  properties?: Map<string, SchemaNode>;
  required: Set<string>;
  additional?: SchemaNode;
  items?: SchemaNode;
  prefixItems?: SchemaNode[];
  minItems: number;
  maxItems: number;
  minLength: number;
  maxLength: number;
}

/** Caps the compiled nodes, so one request's schema cannot take unbounded memory or time. */
export const MAX_SCHEMA_NODES = 4096;

const encoder = new TextEncoder();

export function invalid(path: string, message: string): never {
  throw new InvalidArgumentError({
    argument: `responseFormat.schema${path}`,
    message: `JSON schema ${path || '(root)'}: ${message}`,
  });
}

/** A node that allows any JSON value: every compiled node starts as one, and so does the automaton's `ANY`. */
export function unconstrainedNode(id: number): SchemaNode {
  return {
    id,
    types: undefined,
    required: new Set(),
    minItems: 0,
    maxItems: Number.POSITIVE_INFINITY,
    minLength: 0,
    maxLength: Number.POSITIVE_INFINITY,
  };
}

/** Compiles a JSON Schema into nodes (resolving local $refs, recursion included). */
export function compileJsonSchema(schema: JSONSchema | boolean | undefined): SchemaNode {
  const root = schema ?? {};
  const memo = new Map<unknown, SchemaNode>();
  let ids = 0;

  const resolve = (reference: string, path: string): unknown => {
    if (!reference.startsWith('#'))
      invalid(path, `only local $ref ("#/...") is supported, got "${reference}".`);
    let target: unknown = root;
    for (const part of reference.slice(1).split('/').filter(Boolean)) {
      const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
      target = (target as Record<string, unknown> | undefined)?.[key];
      if (target === undefined) invalid(path, `$ref "${reference}" points nowhere.`);
    }
    return target;
  };

  const compile = (value: unknown, path: string): SchemaNode => {
    if (value === true || value === undefined) value = {};
    if (value === false) invalid(path, '`false` allows nothing.');
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      invalid(path, 'a schema must be an object or a boolean.');
    const known = memo.get(value);
    if (known) return known;
    const json = value as Record<string, unknown>;
    if (ids >= MAX_SCHEMA_NODES)
      invalid(
        path,
        `the schema has more than ${MAX_SCHEMA_NODES} subschemas (MAX_SCHEMA_NODES); send a smaller schema.`,
      );
    const node = unconstrainedNode(ids++);
    memo.set(value, node);
    if (typeof json.$ref === 'string') {
      // A $ref stands for its target (which may still be compiling, when recursive).
      node.anyOf = [compile(resolve(json.$ref, path), `${path}.$ref`)];
      return node;
    }
    const alternatives = (json.anyOf ?? json.oneOf) as unknown;
    if (alternatives !== undefined) {
      if (!Array.isArray(alternatives) || alternatives.length === 0)
        invalid(path, 'anyOf/oneOf must be a non-empty array.');
      node.anyOf = alternatives.map((alternative, index) =>
        compile(alternative, `${path}.anyOf[${index}]`),
      );
      return node;
    }
    if (json.allOf !== undefined) {
      if (!Array.isArray(json.allOf) || json.allOf.length !== 1)
        invalid(path, 'allOf is supported with exactly one member.');
      node.anyOf = [compile(json.allOf[0], `${path}.allOf[0]`)];
      return node;
    }
    if ('const' in json || json.enum !== undefined) {
      const values = 'const' in json ? [json.const] : json.enum;
      if (!Array.isArray(values) || values.length === 0)
        invalid(path, 'enum must be a non-empty array.');
      node.literals = values.map((item) => encoder.encode(JSON.stringify(item)));
      return node;
    }
    if (json.type !== undefined) {
      const types = Array.isArray(json.type) ? json.type : [json.type];
      for (const type of types)
        if (!JSON_TYPES.includes(type as JsonType))
          invalid(path, `unknown type ${JSON.stringify(type)}.`);
      node.types = new Set(types as JsonType[]);
    }
    if (json.properties !== undefined) {
      if (typeof json.properties !== 'object' || json.properties === null)
        invalid(path, 'properties must be an object.');
      node.properties = new Map(
        Object.entries(json.properties as Record<string, unknown>).map(([key, property]) => [
          key,
          compile(property, `${path}.properties.${key}`),
        ]),
      );
    }
    if (Array.isArray(json.required)) node.required = new Set(json.required as string[]);
    for (const key of node.required) {
      if (node.properties && !node.properties.has(key))
        invalid(path, `required property "${key}" is not in properties.`);
    }
    if (json.additionalProperties !== undefined && json.additionalProperties !== false)
      node.additional = compile(json.additionalProperties, `${path}.additionalProperties`);
    if (json.items !== undefined && json.items !== false)
      node.items = compile(json.items, `${path}.items`);
    if (Array.isArray(json.prefixItems))
      node.prefixItems = json.prefixItems.map((item, index) =>
        compile(item, `${path}.prefixItems[${index}]`),
      );
    if (json.items === false) node.maxItems = node.prefixItems?.length ?? 0;
    const count = (key: string) => {
      const found = json[key];
      if (found === undefined) return undefined;
      if (typeof found !== 'number' || !Number.isInteger(found) || found < 0)
        invalid(path, `${key} must be a non-negative integer.`);
      return found;
    };
    node.minItems = count('minItems') ?? node.minItems;
    node.maxItems = Math.min(node.maxItems, count('maxItems') ?? Number.POSITIVE_INFINITY);
    node.minLength = count('minLength') ?? 0;
    node.maxLength = count('maxLength') ?? Number.POSITIVE_INFINITY;
    return node;
  };

  return compile(root, '');
}
