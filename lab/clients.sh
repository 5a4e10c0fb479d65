#!/usr/bin/env bash
# npm run lab:clients -- N - exactly N light client hosts on the lab: light-01.lab .. light-NN.lab
# (sshd, curl, ca-certificates, openssl; no container engine and no nested dockerd: trusting a CA
# and checking it needs none), each with its own SSH key pinned in .lab/ssh/known_hosts like the
# other hosts. Clients above N are removed; 0 removes them all. Needs the lab (npm run lab:up).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
want=${1:-}
if ! [[ "$want" =~ ^[0-9]+$ ]] || [ "$want" -gt 99 ]; then lab_fail "usage: lab/clients.sh N (0-99 light clients)"; fi
docker container inspect airgap-lab-bastion >/dev/null 2>&1 || lab_fail "the lab is not up: npm run lab:up"
[ -f "$LAB_SSH/authorized_keys" ] || lab_fail "the lab has no SSH key: npm run lab:up"
start=$SECONDS

# Above N: removed.
for c in $(docker ps -a --filter label=airgap-lab.light=1 --format '{{.Names}}'); do
  i=$((10#${c##*-}))
  [ "$i" -le "$want" ] || docker rm -f "$c" >/dev/null
done
# Up to N: started (an existing one of this lab is kept).
for i in $(seq 1 "$want"); do
  n=$(printf '%02d' "$i")
  run_host "airgap-lab-light-$n" "light-$n.lab" "$LAB_BARE_IMAGE" --network "$LAB_NET" --network-alias "light-$n.lab" \
    --label airgap-lab.light=1 --memory 64m
done
lab_write_known_hosts
lab_say "$want light clients in $((SECONDS - start))s"
