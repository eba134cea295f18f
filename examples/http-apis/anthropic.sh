# Anthropic Messages: the same request shape as api.anthropic.com, any llmr model behind it.
LLMR_URL=${LLMR_URL:-http://127.0.0.1:8080}
set -eu
curl -fsS "$LLMR_URL/v1/messages" \
  -H "x-api-key: ${LLMR_API_KEY:-}" -H 'anthropic-version: 2023-06-01' \
  -H 'Content-Type: application/json' \
  -d '{"model":"auto","max_tokens":16,"messages":[{"role":"user","content":"Say hello"}]}'
echo
