#!/usr/bin/env bash
# Builds the lab's load-balancer image the way lab/images.sh builds the registry 2.8 one, with no
# outside registry: Debian's haproxy binary (package haproxy, 2.6 on bookworm; installed on this
# machine when missing) with the libraries ldd names, `docker import`ed as $LAB_HAPROXY_IMAGE and
# `docker save`d to .lab/images/haproxy-image.tar: the tarball an operator carries into a site.
# It runs `haproxy -db -f /etc/haproxy/haproxy.cfg` (foreground: Debian's service needs systemd).
# Built once; delete the tarball to rebuild.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
out="$LAB_STATE/images/haproxy-image.tar"
mkdir -p "$LAB_STATE/images"
[ -s "$out" ] && { lab_say "$out exists"; exit 0; }
if [ ! -x /usr/sbin/haproxy ]; then
  [ "$(id -u)" -eq 0 ] || lab_fail "haproxy is missing and only root can install it"
  lab_say "installing haproxy"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r="$work/haproxy"
mkdir -p "$r/usr/sbin" "$r/etc/haproxy" "$r/run/haproxy" "$r/tmp" "$r/var/lib/haproxy"
cp /usr/sbin/haproxy "$r/usr/sbin/"
for lib in $(ldd /usr/sbin/haproxy | grep -o '/[^ ]*'); do mkdir -p "$r$(dirname "$lib")"; cp -L "$lib" "$r$lib"; done
# awk reads all of it: `| head -1` may close the pipe while haproxy still writes (SIGPIPE, then pipefail exits).
version=$(/usr/sbin/haproxy -v | awk 'NR == 1 { print $3 }')
import_dir "$r" "$LAB_HAPROXY_IMAGE" '["/usr/sbin/haproxy","-db","-f"]' '["/etc/haproxy/haproxy.cfg"]' "$out.tmp" \
  "LABEL airgap-lab.haproxy-version=$version"
mv -f "$out.tmp" "$out"
lab_say "saved $LAB_HAPROXY_IMAGE (Debian's haproxy $version) to $out"
