#!/usr/bin/env bash
# Makes a Docker daemon reachable: the one already answering, else Debian's docker.io started
# in the background (log in .lab/dockerd.log).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
if docker info >/dev/null 2>&1; then exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || lab_fail "no Docker daemon and not root: cannot install docker.io"
  lab_say "installing Debian's docker.io"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io iptables >/dev/null
fi
mkdir -p "$LAB_STATE"
lab_say "starting dockerd (log: $LAB_STATE/dockerd.log)"
nohup dockerd >"$LAB_STATE/dockerd.log" 2>&1 &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
tail -20 "$LAB_STATE/dockerd.log" >&2
lab_fail "dockerd did not answer within 60s"
