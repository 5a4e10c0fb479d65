#!/usr/bin/env bash
# npm run lab:scaleout -- N - the hosts of a scaled-out registry on the lab network: exactly N
# replica hosts airgap-lab-replica-1..N (replica-1.lab ..) and a load-balancer host airgap-lab-lb
# (lb.lab), each the engine host image like registry.lab with its own nested dockerd, each SSH
# key pinned in .lab/ssh/known_hosts like the other hosts, each surviving a stop and start like
# a reboot (its dockerd's state on a volume, see LAB_REBOOTABLE_ENGINE_ARGS); and the load balancer's image
# (lab/haproxy-image.sh: Debian's haproxy, saved to .lab/images/haproxy-image.tar). Replicas above
# N are removed; 0 removes the replicas and the load balancer. An existing host of this lab is
# kept. Needs the lab (npm run lab:up). The S3 store they share: lab/objectstore.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
want=${1:-}
if ! [[ "$want" =~ ^[0-9]+$ ]] || [ "$want" -gt 9 ]; then lab_fail "usage: lab/scaleout.sh N (0-9 replica hosts)"; fi
docker container inspect airgap-lab-bastion >/dev/null 2>&1 || lab_fail "the lab is not up: npm run lab:up"
{ [ -f "$LAB_SSH/authorized_keys" ] && [ -f "$LAB_SSH/config" ]; } || lab_fail "the lab has no SSH key or config: npm run lab:up"
start=$SECONDS
hosts=()

# Above N: removed (0: the load balancer too).
for c in $(docker ps -a --filter label=airgap-lab.replica=1 --format '{{.Names}}'); do
  i=${c##*-}
  [ "$i" -le "$want" ] || docker rm -f -v "$c" >/dev/null
done
[ "$want" -gt 0 ] || docker rm -f -v airgap-lab-lb >/dev/null 2>&1 || true

if [ "$want" -gt 0 ]; then
  bash "$LAB_ROOT/lab/haproxy-image.sh"

  for i in $(seq 1 "$want"); do
    run_host "airgap-lab-replica-$i" "replica-$i.lab" "$LAB_HOST_IMAGE" --network "$LAB_NET" --network-alias "replica-$i.lab" \
      --label airgap-lab.replica=1 "${LAB_REBOOTABLE_ENGINE_ARGS[@]}"
    hosts+=("replica-$i.lab")
  done
  run_host airgap-lab-lb lb.lab "$LAB_HOST_IMAGE" --network "$LAB_NET" --network-alias lb.lab \
    --label airgap-lab.lb=1 "${LAB_REBOOTABLE_ENGINE_ARGS[@]}"
  hosts+=(lb.lab)
fi
lab_write_known_hosts
for h in "${hosts[@]}"; do
  ok=
  for _ in $(seq 1 60); do
    if ssh -F "$LAB_SSH/config" "$h" 'docker info >/dev/null 2>&1' 2>/dev/null; then ok=1; break; fi
    sleep 1
  done
  [ -n "$ok" ] || { docker exec "airgap-lab-${h%.lab}" tail -20 /var/log/dockerd.log >&2 || true; lab_fail "$h did not answer over SSH (with a running dockerd) within 60s"; }
done
if [ "$want" -gt 0 ]; then
  lab_say "$want replica hosts (${hosts[*]}) in $((SECONDS - start))s; load balancer image $LAB_STATE/images/haproxy-image.tar"
else
  lab_say "scale-out hosts removed in $((SECONDS - start))s"
fi
