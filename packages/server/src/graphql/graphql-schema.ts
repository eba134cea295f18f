/**
 * The GraphQL schema (SDL). Field names follow llmr's call options (`maxTokens`, `topP`,
 * `stopSequences`), so the messages of validateCallOptions name the field to fix.
 */
export const graphqlSchema = /* GraphQL */ `
"""A model, route or alias that requests may name."""
type Model {
  id: String!
  loaded: Boolean!
  ownedBy: String
  source: String
  contextLength: Int
  capabilities: [String!]
}

type Query {
  models: [Model!]!
  """Null when no model, route or alias has this name."""
  model(id: String!): Model
}

enum Role {
  system
  user
  assistant
  tool
}

input MessageInput {
  role: Role!
  content: String!
  """Required on tool messages: the id of the call this message answers."""
  toolCallId: String
}

"""Pass exactly one of messages (chat) or prompt (raw completion)."""
input GenerateInput {
  """A model id, a route, an alias, or auto."""
  model: String!
  messages: [MessageInput!]
  prompt: String
  maxTokens: Int
  temperature: Float
  topP: Float
  topK: Int
  minP: Float
  repetitionPenalty: Float
  frequencyPenalty: Float
  presencePenalty: Float
  seed: Int
  stopSequences: [String!]
}

enum FinishReason {
  stop
  length
  tool_calls
  content_filter
}

type Usage {
  inputTokens: Int!
  outputTokens: Int!
  totalTokens: Int!
  cachedInputTokens: Int
}

type RoutingFailure {
  model: String!
  code: String
  message: String
}

type Routing {
  """The model that served the request."""
  model: String!
  strategy: String
  """Models tried, this one included."""
  attempts: Int!
  """The models that failed before this one."""
  failures: [RoutingFailure!]!
  cached: Boolean!
}

type Generation {
  text: String!
  finishReason: FinishReason!
  usage: Usage!
  routing: Routing!
}

"""Text deltas, then one last event with finishReason, usage and routing (delta empty)."""
type GenerationEvent {
  delta: String!
  finishReason: FinishReason
  usage: Usage
  routing: Routing
}

type Mutation {
  generate(input: GenerateInput!): Generation!
}

type Subscription {
  generateStream(input: GenerateInput!): GenerationEvent!
}
`;

export interface GenerateInput {
  model: string;
  messages?:
    | { role: 'system' | 'user' | 'assistant' | 'tool'; content: string; toolCallId?: string }[]
    | null;
  prompt?: string | null;
  maxTokens?: number | null;
  temperature?: number | null;
  topP?: number | null;
  topK?: number | null;
  minP?: number | null;
  repetitionPenalty?: number | null;
  frequencyPenalty?: number | null;
  presencePenalty?: number | null;
  seed?: number | null;
  stopSequences?: string[] | null;
}
