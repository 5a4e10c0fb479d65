#!/usr/bin/env bash
# Makes the Pulumi engine available with no internet: the `pulumi` CLI, its Node.js language
# host and the four resource plugins, at the versions of the npm SDKs in package-lock.json.
#
#   export PATH="$(npm run -s toolchain | tail -1):$PATH"     (then: source scripts/pulumi-env.sh)
#
# Where the engine comes from, in this order:
#   1. AIRGAP_REGISTRY_PULUMI_DIST, a directory of release tarballs with SHA256SUMS (what an
#      operator carries into a site). When set, it is used and nothing else.
#   2. An install this script already made (the CLI in the cache, the plugins in PULUMI_HOME).
#   3. A `pulumi` already on PATH at the pinned version whose plugins are installed in the
#      user's own PULUMI_HOME (an ordinary Pulumi install): used as it is.
#   4. The team's shared dist, ../shared/pulumi-dist beside this checkout, if it exists.
# From a dist: every file is checked against SHA256SUMS first (a missing or altered file fails
# naming it), the CLI is extracted into ${AIRGAP_REGISTRY_CACHE:-~/.cache/airgap-registry}/,
# and the plugins are installed with `pulumi plugin install resource NAME VERSION --file ...`
# into the PULUMI_HOME of the project's scripted runs (.pulumi-state/home, scripts/pulumi-env.sh).
# Nothing is downloaded, ever. Progress goes to stderr; the LAST line of stdout is the directory
# holding `pulumi`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "toolchain: $*" >&2; }
fail() { echo "toolchain: ERROR: $*" >&2; exit 1; }

# The one place versions are pinned is package-lock.json: the CLI equals @pulumi/pulumi and
# every plugin equals its npm SDK.
lock_version() { # npm package -> the version package-lock.json installs
  node -e 'const l=require(process.argv[1]); const p=l.packages["node_modules/"+process.argv[2]];
           if(!p){process.exit(1)} console.log(p.version)' "$ROOT/package-lock.json" "$1" \
    || fail "package-lock.json has no $1: cannot tell which version to install"
}
PULUMI_VERSION=$(lock_version @pulumi/pulumi)
PLUGINS=()
for name in tls random command docker; do PLUGINS+=("$name $(lock_version "@pulumi/$name")"); done

# The engine environment of the project's scripted runs (PULUMI_HOME, no downloads).
source "$ROOT/scripts/pulumi-env.sh"

CACHE=${AIRGAP_REGISTRY_CACHE:-$HOME/.cache/airgap-registry}
BIN="$CACHE/pulumi-v$PULUMI_VERSION/pulumi"
CLI_TARBALL="pulumi-v$PULUMI_VERSION-linux-x64.tar.gz"
plugin_tarball() { echo "pulumi-resource-$1-v$2-linux-amd64.tar.gz"; }
plugin_dir() { echo "$1/plugins/resource-$2-v$3"; } # pulumi-home name version

cli_ok() { [ -x "$1/pulumi" ] && [ "$("$1/pulumi" version 2>/dev/null)" = "v$PULUMI_VERSION" ] && [ -x "$1/pulumi-language-nodejs" ]; }
plugins_in() { # pulumi-home: every pinned plugin installed there (binary present, no partial install)
  local home=$1 entry name version dir
  for entry in "${PLUGINS[@]}"; do
    read -r name version <<< "$entry"
    dir=$(plugin_dir "$home" "$name" "$version")
    [ -x "$dir/pulumi-resource-$name" ] && [ ! -e "$dir.partial" ] || return 1
  done
}
missing_plugins() { # pulumi-home -> the pinned plugins not installed there, one per line
  local home=$1 entry name version
  for entry in "${PLUGINS[@]}"; do
    read -r name version <<< "$entry"
    [ -x "$(plugin_dir "$home" "$name" "$version")/pulumi-resource-$name" ] || echo "  resource $name v$version"
  done
}

verify_dist() { # dist-dir: SHA256SUMS present, and every file the install needs listed and intact
  local dist=$1 file want got entry name version
  [ -d "$dist" ] || fail "the Pulumi dist directory $dist does not exist"
  [ -f "$dist/SHA256SUMS" ] || fail "$dist/SHA256SUMS is missing: the dist cannot be verified"
  local needed=("$CLI_TARBALL")
  for entry in "${PLUGINS[@]}"; do read -r name version <<< "$entry"; needed+=("$(plugin_tarball "$name" "$version")"); done
  for file in "${needed[@]}"; do
    [ -f "$dist/$file" ] || fail "$dist/$file is missing (needed for pulumi v$PULUMI_VERSION and the pinned plugins)"
    want=$(awk -v f="$file" '$2 == f || $2 == "*" f { print $1 }' "$dist/SHA256SUMS")
    [ -n "$want" ] || fail "$file is not listed in $dist/SHA256SUMS"
    got=$(sha256sum "$dist/$file" | cut -d' ' -f1)
    [ "$got" = "$want" ] || fail "$dist/$file does not match its SHA-256 in SHA256SUMS (altered or truncated): expected $want, got $got"
  done
  say "verified ${#needed[@]} files of $dist against SHA256SUMS"
}

install_from_dist() { # dist-dir
  local dist=$1 start=$SECONDS
  verify_dist "$dist"
  if ! cli_ok "$BIN"; then
    local tmp
    tmp=$(mktemp -d "$CACHE/.extract.XXXXXX")
    tar -xzf "$dist/$CLI_TARBALL" -C "$tmp"
    cli_ok "$tmp/pulumi" || fail "$CLI_TARBALL does not hold pulumi v$PULUMI_VERSION with pulumi-language-nodejs"
    rm -rf "$(dirname "$BIN")" && mv "$tmp" "$(dirname "$BIN")"
    say "extracted pulumi v$PULUMI_VERSION and its Node.js language host into $BIN"
  fi
  for entry in "${PLUGINS[@]}"; do
    read -r name version <<< "$entry"
    if [ -x "$(plugin_dir "$PULUMI_HOME" "$name" "$version")/pulumi-resource-$name" ]; then continue; fi
    "$BIN/pulumi" plugin install resource "$name" "$version" --file "$dist/$(plugin_tarball "$name" "$version")" --non-interactive >&2 \
      || fail "pulumi plugin install resource $name $version --file $dist/$(plugin_tarball "$name" "$version") failed"
  done
  plugins_in "$PULUMI_HOME" || fail "plugins missing in $PULUMI_HOME after install:
$(missing_plugins "$PULUMI_HOME")"
  say "pulumi v$PULUMI_VERSION with plugins ${PLUGINS[*]} ready from $dist in $((SECONDS - start))s"
}

mkdir -p "$CACHE"
if [ -n "${AIRGAP_REGISTRY_PULUMI_DIST:-}" ]; then
  install_from_dist "$AIRGAP_REGISTRY_PULUMI_DIST"
  echo "$BIN"; exit 0
fi
if cli_ok "$BIN" && plugins_in "$PULUMI_HOME"; then
  say "pulumi v$PULUMI_VERSION and plugins ready (cache $BIN, plugins in $PULUMI_HOME)"
  echo "$BIN"; exit 0
fi
# An ordinary install: pulumi on PATH at the pinned version, plugins in the user's PULUMI_HOME.
# Its plugin directories are linked into the project's PULUMI_HOME; the files are not copied.
ambient=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$BIN" | paste -sd:) command -v pulumi 2>/dev/null || true)
user_home=${AIRGAP_REGISTRY_USER_PULUMI_HOME:-$HOME/.pulumi}
if [ -n "$ambient" ] && cli_ok "$(dirname "$ambient")" && plugins_in "$user_home"; then
  mkdir -p "$PULUMI_HOME/plugins"
  for entry in "${PLUGINS[@]}"; do
    read -r name version <<< "$entry"
    ln -sfn "$(plugin_dir "$user_home" "$name" "$version")" "$(plugin_dir "$PULUMI_HOME" "$name" "$version")"
  done
  say "using pulumi v$PULUMI_VERSION from PATH ($ambient) with the plugins of $user_home"
  dirname "$ambient"; exit 0
fi
shared="$ROOT/../shared/pulumi-dist"
if [ -d "$shared" ]; then
  install_from_dist "$(cd "$shared" && pwd)"
  echo "$BIN"; exit 0
fi
{
  echo "toolchain: ERROR: no Pulumi engine at the pinned versions. Needed: pulumi v$PULUMI_VERSION (with pulumi-language-nodejs) and:"
  missing_plugins "$PULUMI_HOME"
  if [ -n "$ambient" ]; then echo "  ($ambient is $("$ambient" version 2>/dev/null || echo 'not runnable'); plugins looked for in $user_home/plugins)"; fi
  echo "Get them one of two ways:"
  echo "  1. a dist directory of the release tarballs ($CLI_TARBALL, pulumi-resource-<name>-v<version>-linux-amd64.tar.gz"
  echo "     and SHA256SUMS): set AIRGAP_REGISTRY_PULUMI_DIST=/path/to/it, or place it at $shared;"
  echo "  2. an ordinary Pulumi install with internet: pulumi v$PULUMI_VERSION on PATH, then"
  for entry in "${PLUGINS[@]}"; do echo "       pulumi plugin install resource $entry"; done
} >&2
exit 1
