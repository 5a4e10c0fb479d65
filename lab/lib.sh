# shellcheck shell=bash disable=SC2034  # sourced: the scripts that source it use these
# Shared settings of the lab scripts (sourced). Everything the lab creates is named airgap-lab-*.
LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_STATE="$LAB_ROOT/.lab"                      # per-lab state: SSH key, image tarballs, daemon log
LAB_CACHE="${AIRGAP_REGISTRY_CACHE:-$HOME/.cache/airgap-registry}/lab"   # rootfs cache, kept between labs
LAB_NET=airgap-lab                               # internal network: no route outside
LAB_EDGE_NET=airgap-lab-edge                     # bastion's second network, for the published SSH port
LAB_BASTION_PORT=${LAB_BASTION_PORT:-2222}       # 127.0.0.1:<port> -> bastion sshd
LAB_HOST_IMAGE=airgap-lab/host:bookworm-1
LAB_BARE_IMAGE=airgap-lab/host-bare:bookworm-1    # no container engine: installed from a bundle
LAB_REGISTRY_IMAGE=airgap-registry/registry:2.8           # Debian's docker-registry (distribution 2.8)
LAB_REGISTRY_V3_IMAGE=airgap-registry/registry:3.1.2      # distribution v3.1.2 built from the Go module proxy
LAB_HAPROXY_IMAGE=airgap-registry/haproxy:2.6             # Debian's haproxy binary (lab/haproxy-image.sh)
LAB_SAMPLE_IMAGE=airgap-lab/hello:1
LAB_DEBIAN_MIRROR=${LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# name:alias:role  (engine: has docker.io and runs its own dockerd; bare: no engine until a
# bundle installs one, then its dockerd starts)
LAB_HOSTS=(
  "registry:registry.lab:engine"
  "client-a:client-a.lab:engine"
  "client-b:client-b.lab:engine"
  "outsider:outsider.lab:engine"
  "bare:bare.lab:bare"
)

lab_say() { echo "lab: $*" >&2; }
lab_fail() { echo "lab: ERROR: $*" >&2; exit 1; }
# Every lab script runs under set -e, which exits on a failing command without a word: this names it.
trap 'echo "lab: ERROR: lab/${0##*/} line $LINENO: $BASH_COMMAND failed" >&2' ERR

# A tiny image from a directory: files copied in, imported with its entrypoint, saved.
import_dir() { # dir image entrypoint-json cmd-json out.tar [extra docker import --change...]
  local dir=$1 image=$2 entry=$3 cmd=$4 out=$5
  shift 5
  local changes=(--change "ENTRYPOINT $entry" --change "CMD $cmd")
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$dir" -cf - . | docker import "${changes[@]}" - "$image" >/dev/null
  docker save -o "$out" "$image"
}

LAB_SSH="$LAB_STATE/ssh"                         # the lab's SSH key, authorized_keys, known_hosts, config

# The lab's SSH key (made once per lab) and the authorized_keys every host gets.
lab_ssh_key() {
  mkdir -p "$LAB_SSH" && chmod 700 "$LAB_SSH"
  [ -f "$LAB_SSH/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C airgap-lab -f "$LAB_SSH/id_ed25519"
  cp "$LAB_SSH/id_ed25519.pub" "$LAB_SSH/authorized_keys"
}

# Starts a lab host container (kept when it is already this lab's, with this key and image).
run_host() { # container-name hostname image extra-args...
  local name=$1 hostname=$2 image=$3 key_id
  shift 3
  key_id=$(sha256sum "$LAB_SSH/authorized_keys" | cut -c1-16)
  if docker container inspect "$name" >/dev/null 2>&1; then
    # A container of another lab (another checkout, this one with a new key, or an older host
    # image) is replaced: a host only ever knows the key it was started with.
    if [ "$(docker inspect -f '{{index .Config.Labels "airgap-lab.state"}}' "$name")" = "$LAB_STATE" ] &&
       [ "$(docker inspect -f '{{index .Config.Labels "airgap-lab.key"}}' "$name")" = "$key_id" ] &&
       [ "$(docker inspect -f '{{.Image}}' "$name")" = "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
      [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ] || docker start "$name" >/dev/null
      return
    fi
    docker rm -f -v "$name" >/dev/null
  fi
  docker run -d --name "$name" --hostname "$hostname" --label airgap-lab=1 --label "airgap-lab.state=$LAB_STATE" --label "airgap-lab.key=$key_id" \
    -v "$LAB_SSH/authorized_keys:/lab/authorized_keys:ro" "$@" "$image" >/dev/null
}

# The engine hosts' container options: their own dockerd without --privileged (which fails here:
# CAP_SYS_RESOURCE is not available).
lab_engine_common=(-e LAB_DOCKERD=1 --cap-add=ALL --cap-drop=SYS_RESOURCE --security-opt seccomp=unconfined
  --security-opt apparmor=unconfined -v /sys/fs/cgroup:/sys/fs/cgroup)
# Their nested dockerd's state on a tmpfs: gone when the host container stops.
LAB_ENGINE_ARGS=("${lab_engine_common[@]}" --tmpfs /var/lib/docker:exec)
# Hosts that survive a stop and start like a reboot: the nested dockerd's state on the host
# container's own (anonymous) volume, kept until the container is removed with -v; /run a tmpfs,
# emptied on each start as on a real host (no stale docker.pid to stop dockerd from starting).
LAB_REBOOTABLE_ENGINE_ARGS=("${lab_engine_common[@]}" --mount "type=volume,dst=/var/lib/docker" --tmpfs /run:exec)

# A lab host's ed25519 public key, read out of band once its entrypoint made it.
lab_host_key() { # container
  local key
  for _ in $(seq 1 30); do
    key=$(docker exec "$1" sh -c 'test -e /etc/ssh/.lab-host-keys && cat /etc/ssh/ssh_host_ed25519_key.pub' 2>/dev/null) && { echo "$key" | cut -d' ' -f1,2; return; }
    sleep 1
  done
  lab_fail "$1 has no SSH host key after 30s"
}

# known_hosts of the bastion and of every lab host on the lab network (its hostname is its name
# there), light clients included; containers labelled airgap-lab.ssh=0 (the S3 stores of
# lab/objectstore.sh) run no sshd and are left out. A host whose key cannot be read fails the
# whole write (no line without a key).
lab_write_known_hosts() {
  local c key lines
  key=$(lab_host_key airgap-lab-bastion) || exit 1
  lines="[127.0.0.1]:$LAB_BASTION_PORT $key"
  for c in $(docker ps --filter label=airgap-lab=1 --filter "network=$LAB_NET" --format '{{.Names}}' | sort); do
    [ "$c" = airgap-lab-bastion ] && continue
    [ "$(docker inspect -f '{{index .Config.Labels "airgap-lab.ssh"}}' "$c")" = 0 ] && continue
    key=$(lab_host_key "$c") || exit 1
    lines+=$'\n'"$(docker inspect -f '{{.Config.Hostname}}' "$c") $key"
  done
  echo "$lines" > "$LAB_SSH/known_hosts.new"
  mv "$LAB_SSH/known_hosts.new" "$LAB_SSH/known_hosts"
}
