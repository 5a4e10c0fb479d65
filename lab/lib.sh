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

# A tiny image from a directory: files copied in, imported with its entrypoint, saved.
import_dir() { # dir image entrypoint-json cmd-json out.tar [extra docker import --change...]
  local dir=$1 image=$2 entry=$3 cmd=$4 out=$5
  shift 5
  local changes=(--change "ENTRYPOINT $entry" --change "CMD $cmd")
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$dir" -cf - . | docker import "${changes[@]}" - "$image" >/dev/null
  docker save -o "$out" "$image"
}
