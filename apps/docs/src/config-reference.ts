/**
 * Renders docs/guide/config-reference.md from the router config's own definition: the
 * zod schema that `llmr serve` and `createRouterFromFile` check a config with gives every
 * field, its type, bounds, allowed values and defaults (through its JSON Schema), and the
 * doc comments on the `RouterConfig` interfaces beside it give the descriptions. Nothing
 * is written by hand, so the page cannot drift from what the server accepts; the test
 * beside this file fails when the committed page is stale.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { z } from 'zod';
import {
  builtinStrategyNames,
  createRouterConfigSchema,
} from '../../../packages/router/src/config/router-config-schema';

const schemaSource = fileURLToPath(
  new URL('../../../packages/router/src/config/router-config-schema.ts', import.meta.url),
);

/** The committed page, relative to the repository root. */
export const configReferencePath = 'docs/guide/config-reference.md';

/** A JSON Schema node as zod writes it (only the keywords the page shows). */
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  minItems?: number;
  pattern?: string;
}

/**
 * Sections the router lets through for the server to check (see the schema's comments):
 * they have no interface in the router, so their one-line description lives here with a
 * link to the guide that documents them.
 */
const passThroughSections: Record<string, string> = {
  gateway:
    "The server's gateway: tenants, keys, budgets (`true`, `false` or `{ enabled, database, prices }`). Checked by `@llmr/gateway` when the server starts; see [Security](security.md).",
  redis:
    "The server's shared state across replicas: `redis: <url>` or `{ url, failMode, keyPrefix }`. Checked by the server; see [Deploying](../deploy.md).",
};

/** Field path (`models[].pricing.input`, `routes.*.budget`) -> its doc comment. */
export function readFieldDescriptions(source = readFileSync(schemaSource, 'utf8')) {
  const file = ts.createSourceFile('router-config-schema.ts', source, ts.ScriptTarget.ES2022, true);
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  for (const statement of file.statements) {
    if (ts.isInterfaceDeclaration(statement)) interfaces.set(statement.name.text, statement);
  }
  const descriptions = new Map<string, string>();
  const visitMembers = (members: ts.NodeArray<ts.TypeElement>, prefix: string, depth: number) => {
    for (const member of members) {
      if (!ts.isPropertySignature(member) || !member.name || !ts.isIdentifier(member.name))
        continue;
      const path = prefix ? `${prefix}.${member.name.text}` : member.name.text;
      const comment = ts
        .getJSDocCommentsAndTags(member)
        .filter(ts.isJSDoc)
        .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '')
        .join(' ')
        .replace(/\s+/g, ' ')
        .trim();
      if (comment) descriptions.set(path, comment);
      if (member.type) visitType(member.type, path, depth + 1);
    }
  };
  const visitType = (type: ts.TypeNode, path: string, depth: number): void => {
    // Interfaces here nest a few levels; the bound only guards against a cycle.
    if (depth > 8) return;
    if (ts.isTypeLiteralNode(type)) visitMembers(type.members, path, depth);
    else if (ts.isUnionTypeNode(type)) for (const part of type.types) visitType(part, path, depth);
    else if (ts.isArrayTypeNode(type)) visitType(type.elementType, `${path}[]`, depth);
    else if (ts.isParenthesizedTypeNode(type)) visitType(type.type, path, depth);
    else if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
      const name = type.typeName.text;
      const value = type.typeArguments?.[1];
      if (name === 'Record' && value) visitType(value, `${path}.*`, depth);
      const declaration = interfaces.get(name);
      if (declaration) visitMembers(declaration.members, path, depth);
    }
  };
  const root = interfaces.get('RouterConfig');
  if (!root) throw new Error(`RouterConfig is no longer declared in ${schemaSource}`);
  visitMembers(root.members, '', 0);
  return descriptions;
}

/** One row of a section's table. */
interface Row {
  path: string;
  type: string;
  required: boolean;
  default?: unknown;
  description?: string;
}

function bounds(node: JsonSchema): string[] {
  const notes: string[] = [];
  // zod writes Number.MAX_SAFE_INTEGER as the maximum of every int; it says nothing.
  if (node.exclusiveMinimum !== undefined) notes.push(`> ${node.exclusiveMinimum}`);
  if (node.minimum !== undefined) notes.push(`≥ ${node.minimum}`);
  if (node.maximum !== undefined && node.maximum !== Number.MAX_SAFE_INTEGER)
    notes.push(`≤ ${node.maximum}`);
  if (node.minLength) notes.push('non-empty');
  if (node.minItems) notes.push(`at least ${node.minItems}`);
  if (node.pattern === '^\\S+$') notes.push('no whitespace');
  return notes;
}

function describeType(node: JsonSchema): string {
  if (node.anyOf) return node.anyOf.map(describeType).join(' or ');
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return node.enum.map((value) => `\`${JSON.stringify(value)}\``).join(', ');
  const notes = bounds(node);
  const suffix = notes.length ? ` (${notes.join(', ')})` : '';
  switch (node.type) {
    case 'array':
      return `array${suffix} of ${node.items ? describeType(node.items) : 'anything'}`;
    case 'object':
      if (node.properties) return `object${suffix}`;
      if (typeof node.additionalProperties === 'object')
        return `map${suffix} of name → ${describeType(node.additionalProperties)}`;
      return `object${suffix}`;
    case undefined:
      return 'anything';
    default:
      return `${node.type}${suffix}`;
  }
}

/** The object node under a field, looking through arrays, maps and unions. */
function objectsUnder(node: JsonSchema, path: string): { node: JsonSchema; path: string }[] {
  if (node.properties) return [{ node, path }];
  if (node.anyOf) return node.anyOf.flatMap((part) => objectsUnder(part, path));
  if (node.type === 'array' && node.items) return objectsUnder(node.items, `${path}[]`);
  if (node.type === 'object' && typeof node.additionalProperties === 'object')
    return objectsUnder(node.additionalProperties, `${path}.*`);
  return [];
}

function collectRows(node: JsonSchema, path: string, descriptions: Map<string, string>): Row[] {
  const rows: Row[] = [];
  for (const nested of objectsUnder(node, path)) {
    const required = new Set(nested.node.required ?? []);
    for (const [name, child] of Object.entries(nested.node.properties ?? {})) {
      const childPath = `${nested.path}.${name}`;
      rows.push({
        path: childPath,
        type: describeType(child),
        required: required.has(name),
        default: child.default,
        description: descriptions.get(childPath),
      });
      rows.push(...collectRows(child, childPath, descriptions));
    }
  }
  return rows;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The whole page, as committed. */
export function renderConfigReference(): string {
  const schema = z.toJSONSchema(createRouterConfigSchema(), {
    io: 'input',
    // `models[].model` is a live object or function, written in code only.
    unrepresentable: 'any',
  }) as JsonSchema;
  const descriptions = readFieldDescriptions();
  const lines = [
    '---',
    'title: Config reference',
    '---',
    '',
    '# Config reference',
    '',
    '<!-- Generated from the router config schema by `pnpm --filter @llmr/docs config-reference`; do not edit. -->',
    '',
    'Every field of the file that `llmr serve --config llmr.yaml` and `createRouterFromFile`',
    'read, in YAML or JSON. Unknown fields are errors, reported with their path and line. The',
    'same shape is the `RouterConfig` type of [`@llmr/router`](../../packages/router) for',
    'configs written in code. For a walk-through, see [Routing](routing.md).',
    '',
    `Strategy names: ${builtinStrategyNames.map((name) => `\`${name}\``).join(', ')}, or one a plugin registers.`,
    '',
    'Across the file, the schema also checks that routes, fallbacks, weights, budgets and',
    'pipelines name models and routes that exist, that model ids are unique, that no route or',
    'alias shares a name with a model, and that aliases end at a model or route without a cycle.',
    '',
  ];
  for (const [name, node] of Object.entries(schema.properties ?? {})) {
    const required = schema.required?.includes(name) ? ', required' : '';
    const fallback =
      node.default !== undefined ? `, default \`${JSON.stringify(node.default)}\`` : '';
    lines.push(`## ${name}`, '');
    lines.push(`${describeType(node)}${required}${fallback}.`, '');
    const description = descriptions.get(name) ?? passThroughSections[name];
    if (description) lines.push(description, '');
    const rows = collectRows(node, name, descriptions);
    if (rows.length === 0) continue;
    lines.push('| Field | Type | Description |', '| --- | --- | --- |');
    for (const row of rows) {
      const notes = [
        row.required ? '**Required.**' : '',
        row.default !== undefined ? `Default \`${JSON.stringify(row.default)}\`.` : '',
        row.description ?? '',
      ].filter(Boolean);
      lines.push(`| \`${cell(row.path)}\` | ${cell(row.type)} | ${cell(notes.join(' '))} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Every field path of the schema that has no description (the test wants none). */
export function undocumentedFields(): string[] {
  const schema = z.toJSONSchema(createRouterConfigSchema(), {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  const descriptions = readFieldDescriptions();
  const missing: string[] = [];
  for (const [name, node] of Object.entries(schema.properties ?? {})) {
    if (!descriptions.has(name) && !passThroughSections[name]) missing.push(name);
    for (const row of collectRows(node, name, descriptions)) {
      if (!row.description) missing.push(row.path);
    }
  }
  return missing;
}
