# llmr's own API under /api: models with their state, load and unload one.
LLMR_URL=${LLMR_URL:-http://127.0.0.1:8080}
LLMR_MODEL=${LLMR_MODEL:-bigram}
set -eu
auth="Authorization: Bearer ${LLMR_API_KEY:-}"
curl -fsS "$LLMR_URL/api/models" -H "$auth"
echo
curl -fsS -X POST "$LLMR_URL/api/models/$LLMR_MODEL/load" -H "$auth"
echo
curl -fsS -X POST "$LLMR_URL/api/models/$LLMR_MODEL/unload" -H "$auth"
echo
