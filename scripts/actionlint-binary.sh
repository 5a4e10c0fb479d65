#!/usr/bin/env bash
# Prints the path of actionlint (github.com/rhysd/actionlint at ACTIONLINT_VERSION, default v1.7.12),
# the linter of the GitHub Actions workflows under .github/workflows, built once from the Go module
# proxy and cached (scripts/go-binary.sh). Used by test/unit/workflow.test.ts.
set -euo pipefail
exec bash "$(dirname "$0")/go-binary.sh" actionlint \
  github.com/rhysd/actionlint/cmd/actionlint "${ACTIONLINT_VERSION:-v1.7.12}"
