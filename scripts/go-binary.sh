#!/usr/bin/env bash
# go-binary.sh NAME PACKAGE VERSION: prints the path of a Go command built once with `go install`
# from the Go module proxy (PACKAGE@VERSION): a static binary (CGO_ENABLED=0) cached under
# ${AIRGAP_REGISTRY_CACHE:-$HOME/.cache/airgap-registry}/NAME-VERSION/bin. Shared by
# scripts/registry-v3-binary.sh and scripts/actionlint-binary.sh.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 NAME PACKAGE VERSION" >&2; exit 2; }
name=$1 package=$2 version=$3
command_name=${package##*/}
bin_dir="${AIRGAP_REGISTRY_CACHE:-$HOME/.cache/airgap-registry}/$name-$version/bin"
binary="$bin_dir/$command_name"
if [ ! -x "$binary" ]; then
  command -v go >/dev/null 2>&1 || {
    echo "$name: ERROR: $binary is missing and there is no go toolchain to build it" >&2
    exit 1
  }
  echo "$name: building $package@$version (once; can take minutes)" >&2
  mkdir -p "$bin_dir"
  # Installed under a temporary name first: an interrupted build leaves no half binary behind.
  tmp=$(mktemp -d "$bin_dir/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath -ldflags='-s -w' "$package@$version" >&2
  mv -f "$tmp/$command_name" "$binary"
fi
echo "$binary"
