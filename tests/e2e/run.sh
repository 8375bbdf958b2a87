#!/usr/bin/env bash
# End-to-end tests of the built hookd binary (node:test, Node >= 20).
#   tests/e2e/run.sh                              (binary: build/release/hookd)
#   HOOKD_BIN=path/to/hookd tests/e2e/run.sh      (relative to the current directory)
set -euo pipefail
if [[ -n "${HOOKD_BIN:-}" ]]; then
  HOOKD_BIN="$(realpath -m -- "$HOOKD_BIN")"
  export HOOKD_BIN
fi
cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund
  touch node_modules
fi

# The OpenAPI description must be valid before the suites check hookd's answers against it.
echo "== redocly lint docs/openapi.yaml"
npx --no-install redocly lint --config ../../docs/redocly.yaml --format=stylish ../../docs/openapi.yaml

exec node --test --test-reporter=spec *.test.mjs
