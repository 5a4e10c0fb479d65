#!/usr/bin/env bash
# npm run demo: toolchain -> lab up -> pulumi up on the dev stack -> push/pull check.
# The lab and the end-to-end run need the resource plugins (tls, random, command, docker); this
# checks for them and says plainly what is missing instead of half-running.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(bash scripts/toolchain.sh | tail -1)
status="$bin/../plugins.status"
if grep -qv ' ok$' "$status"; then
  echo >&2
  echo "demo: cannot run yet. The dev stack needs these resource plugins, which the toolchain could not provide:" >&2
  grep -v ' ok$' "$status" | sed 's/^/  pulumi-resource-/' >&2
  echo "demo: the Go module proxy reachable here refuses their provider modules (see the toolchain output above)." >&2
  echo "demo: put pulumi-resource-{tls,random,command,docker} at the pinned versions on PATH and run again;" >&2
  echo "demo: the lab (npm run lab:up) arrives with the end-to-end issue." >&2
  exit 1
fi
echo "demo: all plugins present; the lab and end-to-end run are not implemented yet (end-to-end issue)." >&2
exit 1
