#!/usr/bin/env bash
# npm run lab:down - removes every lab container, both lab networks and the lab SSH key.
# Kept: the images and the rootfs cache (rebuilding them is the slow part of lab:up).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
if docker info >/dev/null 2>&1; then
  ids=$(docker ps -aq --filter label=airgap-lab=1)
  [ -z "$ids" ] || docker rm -f -v $ids >/dev/null
  for net in "$LAB_NET" "$LAB_EDGE_NET"; do docker network rm "$net" >/dev/null 2>&1 || true; done
fi
rm -rf "$LAB_STATE/ssh"
lab_say "down: containers, networks and the lab key removed"
