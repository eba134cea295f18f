# GraphQL: list the models, then generate (subscriptions stream over graphql-ws on /graphql).
LLMR_URL=${LLMR_URL:-http://127.0.0.1:8080}
set -eu
curl -fsS "$LLMR_URL/graphql" \
  -H "Authorization: Bearer ${LLMR_API_KEY:-}" -H 'Content-Type: application/json' \
  -d '{"query":"{ models { id } }"}'
echo
curl -fsS "$LLMR_URL/graphql" \
  -H "Authorization: Bearer ${LLMR_API_KEY:-}" -H 'Content-Type: application/json' \
  -d '{"query":"mutation { generate(input: { model: \"auto\", prompt: \"Once upon a time\", maxTokens: 16 }) { text finishReason usage { outputTokens } routing { model attempts } } }"}'
echo
