#!/usr/bin/env bash
# Installs the Debian packages the tests use when they are missing: openssl (PEM fixtures),
# the shellcheck binary (every rendered script is linted), curl, docker-registry (the distribution
# registry 2.8 that serves the rendered config in test/integration) and haproxy (2.6: checks the load balancer's
# rendered config, `haproxy -c`, and runs it in front of test replicas). Needs root and Debian's package mirror.
# Then the distribution registry 3.x binary that serves it too (scripts/registry-v3-binary.sh: built once from the
# Go module proxy, cached; needs go), and actionlint, the linter of .github/workflows (scripts/actionlint-binary.sh:
# built once the same way).
set -euo pipefail
missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
[ -x /usr/sbin/haproxy ] || missing+=(haproxy)
ensure_v3() {
  bash "$(dirname "$0")/registry-v3-binary.sh" >/dev/null
  bash "$(dirname "$0")/actionlint-binary.sh" >/dev/null
}
[ ${#missing[@]} -eq 0 ] && { ensure_v3; exit 0; }
echo "ensure-test-tools: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-tools: ERROR: ${missing[*]} missing and cannot be installed here (need root and apt-get)" >&2
  exit 1
fi
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
ensure_v3
