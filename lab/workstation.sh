#!/usr/bin/env bash
# lab/workstation.sh up|down - an operator's workstation inside the air gap, on demand:
# workstation.lab on the lab's internal network (no route outside), from the lab's host image
# (sshd, ssh client, curl; no Node.js, no Pulumi, no dockerd of its own), reached like the other
# hosts through the bastion, its SSH key pinned in .lab/ssh/known_hosts. A carry-in bundle goes
# onto it out of band (docker cp, like a disk). `down` removes it and its known_hosts line.
# Needs the lab (npm run lab:up).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
name=airgap-lab-workstation
case "${1:-}" in
  up)
    docker container inspect airgap-lab-bastion >/dev/null 2>&1 || lab_fail "the lab is not up: npm run lab:up"
    [ -f "$LAB_SSH/authorized_keys" ] || lab_fail "the lab has no SSH key: npm run lab:up"
    start=$SECONDS
    run_host "$name" workstation.lab "$LAB_HOST_IMAGE" --network "$LAB_NET" --network-alias workstation.lab \
      --label airgap-lab.workstation=1
    lab_write_known_hosts
    ok=
    for _ in $(seq 1 30); do
      if ssh -F "$LAB_SSH/config" workstation.lab true 2>/dev/null; then ok=1; break; fi
      sleep 1
    done
    [ -n "$ok" ] || { docker logs --tail 20 "$name" >&2 || true; lab_fail "workstation.lab did not answer over SSH within 30s"; }
    lab_say "workstation.lab up in $((SECONDS - start))s"
    ;;
  down)
    docker rm -f "$name" >/dev/null 2>&1 || true
    if docker container inspect airgap-lab-bastion >/dev/null 2>&1; then lab_write_known_hosts; fi
    lab_say "workstation.lab removed"
    ;;
  *) lab_fail "usage: lab/workstation.sh up|down" ;;
esac
