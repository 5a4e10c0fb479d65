#!/usr/bin/env bash
# Prints the path of actionlint (github.com/rhysd/actionlint at ACTIONLINT_VERSION, default v1.7.12),
# the linter of the GitHub Actions workflows under .github/workflows, building it once with
# `go install` from the Go module proxy when it is not in the cache yet: a static binary
# (CGO_ENABLED=0) under ${AIRGAP_REGISTRY_CACHE:-$HOME/.cache/airgap-registry}/actionlint-<version>/bin.
# Used by test/unit/workflow.test.ts. Like scripts/registry-v3-binary.sh.
set -euo pipefail
version=${ACTIONLINT_VERSION:-v1.7.12}
bin_dir="${AIRGAP_REGISTRY_CACHE:-$HOME/.cache/airgap-registry}/actionlint-$version/bin"
binary="$bin_dir/actionlint"
if [ ! -x "$binary" ]; then
  command -v go >/dev/null 2>&1 || {
    echo "actionlint-binary: ERROR: $binary is missing and there is no go toolchain to build it" >&2
    exit 1
  }
  echo "actionlint-binary: building github.com/rhysd/actionlint/cmd/actionlint@$version (once)" >&2
  mkdir -p "$bin_dir"
  # Installed under a temporary name first: an interrupted build leaves no half binary behind.
  tmp=$(mktemp -d "$bin_dir/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath -ldflags='-s -w' \
    "github.com/rhysd/actionlint/cmd/actionlint@$version" >&2
  mv -f "$tmp/actionlint" "$binary"
fi
echo "$binary"
