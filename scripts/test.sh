#!/usr/bin/env bash
# Runs the compiled tests with Node's built-in test runner.
#   scripts/test.sh unit     mock tests, pure functions, rendered config under the real registry binary
#   scripts/test.sh engine   the real Pulumi engine (builds the toolchain if needed)
#   scripts/test.sh lab      rendered scripts on the lab's hosts over SSH (brings the lab up)
#   scripts/test.sh all      all of them
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${1:-all}
dirs=()
case "$suite" in
  unit) dirs=(dist/test/unit dist/test/integration) ;;
  engine) dirs=(dist/test/engine) ;;
  lab) dirs=(dist/test/lab) ;;
  all) dirs=(dist/test/unit dist/test/integration dist/test/engine dist/test/lab) ;;
  *) echo "usage: $0 unit|engine|lab|all" >&2; exit 2 ;;
esac
bash scripts/ensure-test-tools.sh >&2
if { [ "$suite" = engine ] || [ "$suite" = all ]; } && [ -z "${AIRGAP_REGISTRY_TOOLCHAIN_BIN:-}" ]; then
  bin=$(bash scripts/toolchain.sh | tail -1)
  export AIRGAP_REGISTRY_TOOLCHAIN_BIN="$bin"
fi
files=()
for d in "${dirs[@]}"; do
  while IFS= read -r f; do files+=("$f"); done < <(find "$d" -name '*.test.js' | sort)
done
# One file at a time: the lab tests share the lab's hosts.
exec node --test --test-concurrency=1 "${files[@]}"
