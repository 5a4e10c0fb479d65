#!/usr/bin/env bash
# Prints the path of the distribution registry 3.x binary (cmd/registry of
# github.com/distribution/distribution/v3 at REGISTRY_V3_VERSION, default v3.1.2), built once
# from the Go module proxy and cached (scripts/go-binary.sh).
# Used by the lab (the registry 3.x image) and by the tests (the rendered config served by it).
set -euo pipefail
exec bash "$(dirname "$0")/go-binary.sh" registry \
  github.com/distribution/distribution/v3/cmd/registry "${REGISTRY_V3_VERSION:-v3.1.2}"
