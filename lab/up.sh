#!/usr/bin/env bash
# npm run lab:up - the local air-gapped lab (idempotent):
#   airgap-lab       an internal Docker network (no route outside) with the lab hosts:
#                    registry.lab (runs its own dockerd), client-a.lab and client-b.lab (clients
#                    with their own dockerd), outsider.lab (deliberately NOT a client), bare.lab
#                    (no container engine until a carry-in bundle installs one)
#   airgap-lab-edge  the bastion's second network; its sshd is published on 127.0.0.1 only
# The operator reaches every host with ProxyJump through the bastion, using a key generated
# per lab in .lab/ssh (never committed); each host's SSH key is pinned in .lab/ssh/known_hosts.
# Prints the ssh config path on its last line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
start=$SECONDS
bash "$(dirname "$0")/docker-daemon.sh"
bash "$(dirname "$0")/images.sh"

lab_ssh_key
ssh_dir=$LAB_SSH

docker network inspect "$LAB_NET" >/dev/null 2>&1 || docker network create --internal --label airgap-lab=1 "$LAB_NET" >/dev/null
docker network inspect "$LAB_EDGE_NET" >/dev/null 2>&1 || docker network create --label airgap-lab=1 "$LAB_EDGE_NET" >/dev/null

# The bastion runs its own entrypoint (sshd logging every connection, limits from a file); a
# bastion started with other ones is replaced.
bastion_files=$(cat "$(dirname "$0")/bastion-entrypoint.sh" "$(dirname "$0")/bastion-sshd.conf" | sha256sum | cut -c1-16)
if docker container inspect airgap-lab-bastion >/dev/null 2>&1 &&
   [ "$(docker inspect -f '{{index .Config.Labels "airgap-lab.bastion"}}' airgap-lab-bastion)" != "$bastion_files" ]; then
  docker rm -f airgap-lab-bastion >/dev/null
fi
run_host airgap-lab-bastion bastion "$LAB_HOST_IMAGE" --network "$LAB_EDGE_NET" -p "127.0.0.1:$LAB_BASTION_PORT:22" \
  --label "airgap-lab.bastion=$bastion_files" \
  -v "$LAB_ROOT/lab/bastion-entrypoint.sh:/lab/bastion-entrypoint.sh:ro" \
  -v "$LAB_ROOT/lab/bastion-sshd.conf:/lab/bastion-sshd.conf:ro" \
  --entrypoint /lab/bastion-entrypoint.sh
docker network inspect -f '{{range .Containers}}{{.Name}} {{end}}' "$LAB_NET" | grep -qw airgap-lab-bastion \
  || docker network connect "$LAB_NET" airgap-lab-bastion
for entry in "${LAB_HOSTS[@]}"; do
  IFS=: read -r name alias role <<< "$entry"
  image=$LAB_HOST_IMAGE
  [ "$role" = bare ] && image=$LAB_BARE_IMAGE
  run_host "airgap-lab-$name" "$alias" "$image" --network "$LAB_NET" --network-alias "$alias" "${LAB_ENGINE_ARGS[@]}"
done

# Every host's SSH key, read out of band (docker exec) and pinned: the lab's ssh config and the
# dev stack (knownHostsPath) verify each host against this file.
lab_write_known_hosts
cat > "$ssh_dir/config" <<CFG
Host bastion
  HostName 127.0.0.1
  Port $LAB_BASTION_PORT
Host *.lab
  ProxyJump bastion
Host *
  User root
  IdentityFile $ssh_dir/id_ed25519
  IdentitiesOnly yes
  BatchMode yes
  StrictHostKeyChecking yes
  UserKnownHostsFile $ssh_dir/known_hosts
  GlobalKnownHostsFile /dev/null
  LogLevel ERROR
  ConnectTimeout 10
CFG

for entry in "${LAB_HOSTS[@]}"; do
  IFS=: read -r name alias role <<< "$entry"
  ok=
  for _ in $(seq 1 60); do
    if ssh -F "$ssh_dir/config" "$alias" "$([ "$role" = engine ] && echo 'docker info >/dev/null 2>&1' || echo true)" 2>/dev/null; then ok=1; break; fi
    sleep 1
  done
  [ -n "$ok" ] || { docker logs --tail 20 "airgap-lab-$name" >&2 || true; docker exec "airgap-lab-$name" tail -20 /var/log/dockerd.log >&2 || true; lab_fail "$alias did not answer over SSH (with a running dockerd) within 60s"; }
done
lab_say "up in $((SECONDS - start))s: ${LAB_HOSTS[*]%%:*} behind bastion 127.0.0.1:$LAB_BASTION_PORT"
echo "$ssh_dir/config"
