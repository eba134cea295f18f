# OpenAI Chat Completions: one answer, then the same request streamed as server-sent events.
LLMR_URL=${LLMR_URL:-http://127.0.0.1:8080}
set -eu
curl -fsS "$LLMR_URL/v1/chat/completions" \
  -H "Authorization: Bearer ${LLMR_API_KEY:-}" -H 'Content-Type: application/json' \
  -d '{"model":"auto","messages":[{"role":"user","content":"Say hello"}],"max_tokens":16,"seed":1}'
echo
curl -fsSN "$LLMR_URL/v1/chat/completions" \
  -H "Authorization: Bearer ${LLMR_API_KEY:-}" -H 'Content-Type: application/json' \
  -d '{"model":"auto","messages":[{"role":"user","content":"Say hello"}],"max_tokens":16,"stream":true}'
