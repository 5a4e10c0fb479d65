#!/usr/bin/env bash
# Builds the lab's registry 3.x image the way lab/images.sh builds the 2.8 one, with no outside
# registry: the static distribution v3.1.2 binary (scripts/registry-v3-binary.sh: `go install`
# from the Go module proxy, cached) and busybox (sh, wget for the health check) in a rootfs,
# `docker import`ed as $LAB_REGISTRY_V3_IMAGE and `docker save`d to
# .lab/images/registry-v3-image.tar: the tarball an operator carries into a site. It reads
# /etc/distribution/config.yml (3.x's path; 2.8 reads /etc/docker/registry/config.yml) and has
# OTEL_TRACES_EXPORTER=none, as the upstream registry:3 image has: 3.x otherwise exports traces to
# an OTLP collector on localhost, which an air-gapped site does not run. Built once; delete the
# tarball to rebuild.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
out="$LAB_STATE/images/registry-v3-image.tar"
mkdir -p "$LAB_STATE/images"
[ -s "$out" ] && { lab_say "$out exists"; exit 0; }
[ -x /bin/busybox ] || lab_fail "/bin/busybox is missing (lab/images.sh installs busybox-static)"
binary=$(bash "$LAB_ROOT/scripts/registry-v3-binary.sh")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lab_say "building $LAB_REGISTRY_V3_IMAGE from $binary"
r="$work/registry"
mkdir -p "$r/usr/bin" "$r/bin" "$r/etc/distribution" "$r/var/lib/registry" "$r/tmp"
cp "$binary" "$r/usr/bin/registry"
cp /bin/busybox "$r/bin/busybox"
for applet in sh wget; do ln -s busybox "$r/bin/$applet"; done
import_dir "$r" "$LAB_REGISTRY_V3_IMAGE" '["/usr/bin/registry","serve"]' '["/etc/distribution/config.yml"]' "$out.tmp" \
  "ENV OTEL_TRACES_EXPORTER=none"
mv -f "$out.tmp" "$out"
lab_say "saved $LAB_REGISTRY_V3_IMAGE to $out"
