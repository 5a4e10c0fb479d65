#!/usr/bin/env bash
# Installs node_modules from the lockfile when they are missing or older than the lockfile, so
# `npm test` works on a fresh clone; the same for the policy pack's own dependencies (policy/,
# its own package-lock.json: `pulumi preview --policy-pack policy` loads them from there).
# Install scripts stay off (see allowScripts in package.json: @pulumi/command's would try to
# download a plugin; protobufjs's is a version notice).
set -euo pipefail
cd "$(dirname "$0")/.."
install() {
  local dir=$1
  if [ -f "$dir/node_modules/.package-lock.json" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    return 0
  fi
  echo "ensure-deps: npm ci in $dir" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts >&2)
}
install .
install policy
