/**
 * One GraphQL request runs at most one generation. Without this, aliases
 * (`a: generate(...) b: generate(...)`) let one request, admitted once by the rate
 * limiter, run any number of generations. Fragments may not hold a generation (a fragment
 * spread twice would run it twice), and aliases are capped so a query cannot fan out.
 */
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';

export const MAX_GENERATIONS_PER_REQUEST = 1;
export const MAX_ALIASES_PER_REQUEST = 32;
const GENERATION_FIELDS = new Set(['generate', 'generateStream']);

export const generationLimitRule: ValidationRule = (context: ValidationContext) => {
  let generations = 0;
  let aliases = 0;
  let fragmentDepth = 0;
  return {
    FragmentDefinition: {
      enter() {
        fragmentDepth++;
      },
      leave() {
        fragmentDepth--;
      },
    },
    InlineFragment: {
      enter() {
        fragmentDepth++;
      },
      leave() {
        fragmentDepth--;
      },
    },
    Field(node) {
      if (node.alias && ++aliases > MAX_ALIASES_PER_REQUEST)
        context.reportError(
          new GraphQLError(
            `A request may use at most ${MAX_ALIASES_PER_REQUEST} aliases; split it into several requests.`,
            { nodes: [node] },
          ),
        );
      if (!GENERATION_FIELDS.has(node.name.value)) return;
      if (fragmentDepth > 0)
        context.reportError(
          new GraphQLError(
            `"${node.name.value}" may not appear inside a fragment; select it directly in the operation.`,
            { nodes: [node] },
          ),
        );
      if (++generations > MAX_GENERATIONS_PER_REQUEST)
        context.reportError(
          new GraphQLError(
            `A request may run at most ${MAX_GENERATIONS_PER_REQUEST} generation; send one request per generation.`,
            { nodes: [node] },
          ),
        );
    },
  };
};
