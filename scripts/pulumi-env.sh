# shellcheck shell=bash
# Sourced by scripts that run Pulumi on the project's own stacks: a file backend and PULUMI_HOME
# in the gitignored .pulumi-state/ (scripts/toolchain.sh installs the plugins there), the
# lab-only passphrase, no update checks, no plugin downloads, and only the exact plugin versions
# installed in PULUMI_HOME (no `pulumi-resource-*` picked up from PATH).
# test/support/engine.ts sets the same for the tests; test/integration/toolchain.test.ts keeps them equal.
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$_root/.pulumi-state/backend" "$_root/.pulumi-state/home"
export PULUMI_BACKEND_URL="file://$_root/.pulumi-state/backend"
export PULUMI_HOME="$_root/.pulumi-state/home"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-airgap-registry-lab-only}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
# One unreachable client must not hold back the registry and the other clients: the update goes
# on with everything that does not depend on the failed step, and still exits non-zero naming it.
export PULUMI_CONTINUE_ON_ERROR=true
# The program is type-checked by `npm run build` (tsc, strict); the engine's ts-node only
# transpiles it, which saves about 4 s on every preview and up.
export PULUMI_NODEJS_TRANSPILE_ONLY=true
unset _root
