#!/usr/bin/env bash
# Installs node_modules from the lockfile when they are missing or older than the lockfile, so
# `npm test` works on a fresh clone. Install scripts stay off (see allowScripts in package.json:
# @pulumi/command's would try to download a plugin; protobufjs's is a version notice).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
echo "ensure-deps: npm ci" >&2
npm ci --no-audit --no-fund --ignore-scripts >&2
