#!/usr/bin/env bash
# npm run bench: the client-scaling bench (bench/clientScaling.ts) and the replica-throughput bench
# (bench/replicaThroughput.ts) on the lab, with the engine from
# the carried-in toolchain. Not part of npm test (a smoke run of it is). Arguments go to bench/cli.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bin=$(bash scripts/toolchain.sh | tail -1)
export AIRGAP_REGISTRY_TOOLCHAIN_BIN="$bin"
bash lab/up.sh >/dev/null
# A fresh up of 50 clients on the lab takes more than the tests' 5 minutes a pulumi run.
export AIRGAP_REGISTRY_PULUMI_TIMEOUT_S=${AIRGAP_REGISTRY_PULUMI_TIMEOUT_S:-3600}
exec node dist/bench/cli.js "$@"
