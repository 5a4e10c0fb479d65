#!/usr/bin/env bash
# Prints the path of the distribution registry 3.x binary (cmd/registry of
# github.com/distribution/distribution/v3 at REGISTRY_V3_VERSION, default v3.1.2), building it
# once with `go install` from the Go module proxy when it is not in the cache yet: a static
# binary (CGO_ENABLED=0) under ${AIRGAP_REGISTRY_CACHE:-$HOME/.cache/airgap-registry}/registry-<version>/bin.
# Used by the lab (the registry 3.x image) and by the tests (the rendered config served by it).
set -euo pipefail
version=${REGISTRY_V3_VERSION:-v3.1.2}
bin_dir="${AIRGAP_REGISTRY_CACHE:-$HOME/.cache/airgap-registry}/registry-$version/bin"
binary="$bin_dir/registry"
if [ ! -x "$binary" ]; then
  command -v go >/dev/null 2>&1 || {
    echo "registry-v3-binary: ERROR: $binary is missing and there is no go toolchain to build it" >&2
    exit 1
  }
  echo "registry-v3-binary: building github.com/distribution/distribution/v3/cmd/registry@$version (once; minutes)" >&2
  mkdir -p "$bin_dir"
  # Installed under a temporary name first: an interrupted build leaves no half binary behind.
  tmp=$(mktemp -d "$bin_dir/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath -ldflags='-s -w' \
    "github.com/distribution/distribution/v3/cmd/registry@$version" >&2
  mv -f "$tmp/registry" "$binary"
fi
echo "$binary"
