#!/usr/bin/env bash
# Makes the Pulumi engine available with no internet: the `pulumi` CLI, the Node.js language
# host and the resource plugins, at the versions the npm SDKs in package.json are pinned to.
#
#   export PATH="$(npm run -s toolchain | tail -1):$PATH"
#
# Order: binaries already on PATH at the right versions are used as they are; else the cache
# (${AIRGAP_REGISTRY_CACHE:-~/.cache/airgap-registry}/toolchain/<versions>/bin) is used when its
# binaries answer with the right versions; else they are built from their Go modules through the
# Go module proxy (GOMODCACHE and GOCACHE live in the cache too). Progress goes to stderr; the
# LAST line of stdout is the directory holding `pulumi` and the plugins.
set -euo pipefail

PULUMI_VERSION=3.248.0
# The standalone language-host module (sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not served by
# the module proxy here; sdk/v3 v3.68.0 is the last release that carries the host as a package.
# It speaks the same gRPC protocol and runs the 3.248 Node.js SDK (checked by test/engine).
LANGHOST_SDK_VERSION=3.68.0

# Resource plugins: name, version (= npm SDK version), Go module, pseudo-version of the tagged commit.
PLUGINS=(
  "tls 5.5.1 github.com/pulumi/pulumi-tls/provider/v5 v5.0.0-20260722185624-c3b9a61e7075"
  "random 4.21.1 github.com/pulumi/pulumi-random/provider/v4 v4.0.0-20260722185042-f2d8b029d0f7"
  "command 1.2.1 github.com/pulumi/pulumi-command/provider v0.0.0-20260303235922-7f3eb6f3b77c"
  "docker 5.0.0 github.com/pulumi/pulumi-docker/provider/v5 v5.0.0-20260421125334-c2baf6a4997f"
)

CACHE=${AIRGAP_REGISTRY_CACHE:-$HOME/.cache/airgap-registry}
ROOT="$CACHE/toolchain/pulumi-$PULUMI_VERSION"
BIN="$ROOT/bin"
export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS=-mod=mod GOSUMDB=off GOTOOLCHAIN=local CGO_ENABLED=0
mkdir -p "$BIN" "$ROOT/work" "$ROOT/logs"

say() { echo "toolchain: $*" >&2; }
fail() { echo "toolchain: ERROR: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || fail "go is not installed (need Go >= 1.25 to build the Pulumi engine)"

cli_ok() { [ -x "$1" ] && [ "$("$1" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; }
langhost_ok() { [ -x "$1" ] && go version -m "$1" 2>/dev/null | grep -qE "github.com/pulumi/pulumi/sdk/v3[[:space:]]+v$LANGHOST_SDK_VERSION[[:space:]]"; }

# A throwaway main module in the cache; prints the Go error and the module on failure.
build_in_module() { # dir module-line... -- package output ldflags
  local dir=$1 log=$2 pkg=$3 out=$4 ldflags=$5
  shift 5
  mkdir -p "$dir"
  printf '%s\n' "$@" > "$dir/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" > "$dir/tools.go"
  say "building $pkg (log: $log)"
  local start=$SECONDS
  if ! (cd "$dir" && go mod tidy && go build -trimpath -o "$out" -ldflags "$ldflags" "$pkg") > "$log" 2>&1; then
    grep -v '^go: downloading' "$log" | tail -20 >&2
    return 1
  fi
  say "built $(basename "$out") in $((SECONDS - start))s"
}

# 1. The CLI.
if cli_ok "$BIN/pulumi"; then
  say "pulumi v$PULUMI_VERSION cached"
elif command -v pulumi >/dev/null 2>&1 && cli_ok "$(command -v pulumi)"; then
  ln -sf "$(command -v pulumi)" "$BIN/pulumi"; say "using pulumi from PATH"
else
  build_in_module "$ROOT/work/cli" "$ROOT/logs/cli.log" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$BIN/pulumi" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    "module airgap-registry-toolchain/cli" "" "go 1.25.11" "" \
    "require (" "  github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION" "  github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION" ")" "" \
    "replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e" \
    || fail "could not build the pulumi CLI from github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION (Go error above; full log $ROOT/logs/cli.log)"
  cli_ok "$BIN/pulumi" || fail "built pulumi does not answer 'pulumi version' with v$PULUMI_VERSION"
fi

# 2. The Node.js language host.
if langhost_ok "$BIN/pulumi-language-nodejs"; then
  say "pulumi-language-nodejs (sdk v$LANGHOST_SDK_VERSION) cached"
else
  build_in_module "$ROOT/work/langhost" "$ROOT/logs/langhost.log" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
    "$BIN/pulumi-language-nodejs" "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$LANGHOST_SDK_VERSION" \
    "module airgap-registry-toolchain/langhost" "" "go 1.21" "" "require github.com/pulumi/pulumi/sdk/v3 v$LANGHOST_SDK_VERSION" \
    || fail "could not build pulumi-language-nodejs from github.com/pulumi/pulumi/sdk/v3@v$LANGHOST_SDK_VERSION (Go error above)"
  langhost_ok "$BIN/pulumi-language-nodejs" || fail "built pulumi-language-nodejs does not report v$LANGHOST_SDK_VERSION"
fi

# 3. The dynamic-provider plugin: a wrapper that runs @pulumi/pulumi's dynamic provider from the
#    project's node_modules (the same thing the npm package ships as a shell script).
cat > "$BIN/pulumi-resource-pulumi-nodejs" <<'WRAP'
#!/bin/sh
script=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))") || exit 1
exec node "$script" "$@"
WRAP
chmod +x "$BIN/pulumi-resource-pulumi-nodejs"

# 4. Resource plugins. A plugin is usable when `pulumi-resource-<name>` is on PATH or in $BIN and
#    was built for the pinned version (recorded next to it). Otherwise try its Go module.
: > "$ROOT/plugins.status"
for entry in "${PLUGINS[@]}"; do
  read -r name version module pseudo <<< "$entry"
  target="$BIN/pulumi-resource-$name"
  if [ -x "$target" ] && [ "$(cat "$target.version" 2>/dev/null)" = "$version" ]; then
    say "pulumi-resource-$name $version cached"; echo "$name $version ok" >> "$ROOT/plugins.status"; continue
  fi
  if onpath=$(command -v "pulumi-resource-$name" 2>/dev/null) && [ "$onpath" != "$target" ]; then
    ln -sf "$onpath" "$target"; echo "$version" > "$target.version"
    say "using pulumi-resource-$name from PATH ($onpath)"; echo "$name $version ok" >> "$ROOT/plugins.status"; continue
  fi
  say "resolving $module@$pseudo (pulumi-resource-$name $version)"
  if err=$(cd "$ROOT/work" && GOFLAGS=-mod=mod go list -m -json "$module@$pseudo" 2>&1 >/dev/null); then
    say "  $module@$pseudo resolves; building it needs the provider-specific steps in docs/toolchain.md"
    echo "$name $version unbuilt" >> "$ROOT/plugins.status"
  else
    say "  UNAVAILABLE pulumi-resource-$name $version: the Go module proxy refused $module@$pseudo:"
    printf '%s\n' "$err" | sed 's/^/    /' >&2
    echo "$name $version unavailable" >> "$ROOT/plugins.status"
  fi
done
ok=$(grep -c ' ok$' "$ROOT/plugins.status" || true)
say "resource plugins ready: $ok of ${#PLUGINS[@]} (status in $ROOT/plugins.status)"
echo "$BIN"
