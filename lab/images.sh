#!/usr/bin/env bash
# Builds the lab's images with no outside registry:
#  - the host images: debootstrap rootfs (sshd, curl, ca-certificates, openssl; docker.io in the
#    engine image, none in the bare one), cached as tarballs keyed by the package list, then
#    `docker import`ed;
#  - the registry image: Debian's docker-registry binary (CNCF distribution 2.8) with its libc
#    and busybox (wget for the health check), imported and `docker save`d to
#    .lab/images/registry-image.tar: the tarball an operator carries into a site;
#  - the registry 3.x image (lab/registry-v3-image.sh): distribution v3.1.2 built from the Go
#    module proxy, saved to .lab/images/registry-v3-image.tar;
#  - a sample image (busybox) saved to .lab/images/sample-image.tar, to push and pull.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
mkdir -p "$LAB_CACHE" "$LAB_STATE/images"

apt_updated=
need_pkg() { # command-or-path package
  command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || {
    [ "$(id -u)" -eq 0 ] || lab_fail "$2 is missing and only root can install it"
    lab_say "installing $2"
    [ -n "$apt_updated" ] || { apt-get update -qq >/dev/null; apt_updated=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
  }
}

# A host image from a debootstrap rootfs with `packages`, cached by its package list.
build_host_image() { # image packages
  local image=$1 packages=$2 key rootfs_tar dir start
  key=$(printf '%s %s %s' "$packages" "$(sha256sum "$(dirname "$0")/host-entrypoint.sh" | cut -c1-16)" bookworm | sha256sum | cut -c1-12)
  rootfs_tar="$LAB_CACHE/host-rootfs-$key.tar"
  if docker image inspect "$image" >/dev/null 2>&1 && [ "$(docker image inspect -f '{{index .Config.Labels "lab.key"}}' "$image")" = "$key" ]; then
    return
  fi
  if [ ! -s "$rootfs_tar" ]; then
    need_pkg debootstrap debootstrap
    dir="$LAB_CACHE/rootfs-$key"
    rm -rf "$dir"
    lab_say "debootstrap bookworm ($packages) into $dir (cached afterwards)"
    start=$SECONDS
    debootstrap --variant=minbase --include="$packages" bookworm "$dir" "$LAB_DEBIAN_MIRROR" > "$LAB_CACHE/debootstrap-$key.log" 2>&1 \
      || { tail -20 "$LAB_CACHE/debootstrap-$key.log" >&2; lab_fail "debootstrap failed (log: $LAB_CACHE/debootstrap-$key.log)"; }
    install -m 0755 "$(dirname "$0")/host-entrypoint.sh" "$dir/usr/local/sbin/lab-entrypoint"
    rm -rf "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"*
    tar -C "$dir" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
    rm -rf "$dir"
    lab_say "rootfs built in $((SECONDS - start))s"
  fi
  lab_say "importing $image"
  docker import --change 'CMD ["/usr/local/sbin/lab-entrypoint"]' --change "LABEL lab.key=$key" "$rootfs_tar" "$image" >/dev/null
}

base="openssh-server,curl,ca-certificates,openssl,iproute2,procps"
build_host_image "$LAB_HOST_IMAGE" "$base,docker.io,iptables"
build_host_image "$LAB_BARE_IMAGE" "$base"

need_pkg /usr/bin/docker-registry docker-registry
need_pkg /bin/busybox busybox-static
if [ ! -s "$LAB_STATE/images/registry-image.tar" ] || [ ! -s "$LAB_STATE/images/sample-image.tar" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  lab_say "building $LAB_REGISTRY_IMAGE from /usr/bin/docker-registry"
  r="$work/registry"
  mkdir -p "$r/usr/bin" "$r/bin" "$r/etc/docker/registry" "$r/var/lib/registry" "$r/tmp"
  cp /usr/bin/docker-registry "$r/usr/bin/"
  for lib in $(ldd /usr/bin/docker-registry | grep -o '/[^ ]*'); do mkdir -p "$r$(dirname "$lib")"; cp -L "$lib" "$r$lib"; done
  cp /bin/busybox "$r/bin/busybox"
  for applet in sh wget; do ln -s busybox "$r/bin/$applet"; done
  import_dir "$r" "$LAB_REGISTRY_IMAGE" '["/usr/bin/docker-registry","serve"]' '["/etc/docker/registry/config.yml"]' "$LAB_STATE/images/registry-image.tar"
  lab_say "building $LAB_SAMPLE_IMAGE from busybox"
  s="$work/sample"
  mkdir -p "$s/bin"
  cp /bin/busybox "$s/bin/busybox"
  ln -s busybox "$s/bin/sh"
  echo "hello from the air-gapped registry" > "$s/hello.txt"
  import_dir "$s" "$LAB_SAMPLE_IMAGE" '["/bin/busybox"]' '["cat","/hello.txt"]' "$LAB_STATE/images/sample-image.tar"
fi
bash "$(dirname "$0")/registry-v3-image.sh"
lab_say "images ready: $LAB_HOST_IMAGE, $LAB_BARE_IMAGE, $LAB_STATE/images/registry-image.tar, $LAB_STATE/images/registry-v3-image.tar, $LAB_STATE/images/sample-image.tar"
