#!/usr/bin/env bash
# npm run lab:objectstore -- [versitygw|ceph] - the site's existing S3 object store, on the lab
# network (no route outside), started on demand like lab/clients.sh (needs the lab: npm run lab:up):
#   versitygw  airgap-lab-s3 (s3.lab:7070): versitygw v1.8.0 (built once from the Go module proxy
#              by scripts/go-binary.sh) on a POSIX directory in the container; starts at once.
#   ceph       airgap-lab-s3-ceph (rgw.lab:7480): Debian's Ceph Pacific (ceph-mon ceph-mgr ceph-osd
#              radosgw) in a debootstrap rootfs (cached under the lab cache dir), bootstrapped as
#              a single-node cluster by lab/ceph-entrypoint.sh on its first start; also S3 over
#              TLS on rgw.lab:7443, its certificate (names rgw.lab and the container's address)
#              from a store CA of this lab, .lab/objectstore/ceph-tls/ca.crt.
# An access/secret key is generated per lab and store, kept in .lab/objectstore/<store>.env
# (never committed), and the bucket `registry` is created with a SigV4-signed request (curl
# --aws-sigv4, from the bastion through the lab network). Idempotent: a running store of this
# lab is kept. Prints the env file's path on its last line (S3_ENDPOINT, S3_BUCKET, S3_REGION,
# S3_ACCESS_KEY, S3_SECRET_KEY); for ceph, <store>-tls.env beside it has S3_TLS_ENDPOINT and
# S3_CA_CERT.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
kind=${1:-versitygw}
case "$kind" in
  versitygw) name=airgap-lab-s3 alias=s3.lab port=7070 image=airgap-lab/versitygw:1.8.0 ;;
  ceph) name=airgap-lab-s3-ceph alias=rgw.lab port=7480 image=airgap-lab/ceph-rgw:pacific-1 ;;
  *) lab_fail "usage: lab/objectstore.sh [versitygw|ceph]" ;;
esac
docker container inspect airgap-lab-bastion >/dev/null 2>&1 || lab_fail "the lab is not up: npm run lab:up"
start=$SECONDS
bucket=registry region=us-east-1
env_file="$LAB_STATE/objectstore/$kind.env"
mkdir -p "$LAB_STATE/objectstore" "$LAB_CACHE" && chmod 700 "$LAB_STATE/objectstore"

# The image.
if [ "$kind" = versitygw ]; then
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    binary=$(bash "$LAB_ROOT/scripts/go-binary.sh" versitygw github.com/versity/versitygw/cmd/versitygw v1.8.0)
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/r/usr/bin" "$work/r/data" "$work/r/tmp"
    cp "$binary" "$work/r/usr/bin/versitygw"
    tar -C "$work/r" -cf - . | docker import --change 'ENTRYPOINT ["/usr/bin/versitygw"]' \
      --change 'CMD ["--port",":7070","posix","/data"]' - "$image" >/dev/null
    lab_say "built $image from $binary"
  fi
else
  # The rootfs: debootstrap minbase, then Debian's Ceph packages installed in a chroot (no
  # service started: policy-rc.d), cached by package list. The entrypoint is mounted from the
  # checkout (a changed one replaces the container, not the rootfs).
  packages="ceph-mon ceph-mgr ceph-osd radosgw ceph-common procps curl"
  key=$(printf '%s bookworm' "$packages" | sha256sum | cut -c1-12)
  if ! docker image inspect "$image" >/dev/null 2>&1 || [ "$(docker image inspect -f '{{index .Config.Labels "lab.key"}}' "$image")" != "$key" ]; then
    rootfs_tar="$LAB_CACHE/ceph-rootfs-$key.tar"
    if [ ! -s "$rootfs_tar" ]; then
      command -v debootstrap >/dev/null || lab_fail "debootstrap is missing (lab/images.sh installs it)"
      dir="$LAB_CACHE/ceph-rootfs-$key"
      dlog="$LAB_CACHE/ceph-rootfs-$key.log"
      rm -rf "$dir"
      t=$SECONDS
      lab_say "debootstrap bookworm + $packages into $dir (cached afterwards; log $dlog)"
      debootstrap --variant=minbase bookworm "$dir" "$LAB_DEBIAN_MIRROR" > "$dlog" 2>&1 \
        || { tail -20 "$dlog" >&2; lab_fail "debootstrap failed (log: $dlog)"; }
      printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d" && chmod 755 "$dir/usr/sbin/policy-rc.d"
      mount -t proc proc "$dir/proc"
      trap 'umount "$dir/proc" 2>/dev/null || true' EXIT
      # shellcheck disable=SC2086  # the package list is split on purpose
      chroot "$dir" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages" >> "$dlog" 2>&1 \
        || { tail -20 "$dlog" >&2; lab_fail "installing Ceph into the rootfs failed (log: $dlog)"; }
      umount "$dir/proc"
      rm -rf "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"*
      tar -C "$dir" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
      rm -rf "$dir"
      lab_say "Ceph rootfs built in $((SECONDS - t))s ($(du -h "$rootfs_tar" | cut -f1))"
    fi
    t=$SECONDS
    docker import --change 'CMD ["/lab/ceph-entrypoint.sh"]' --change "LABEL lab.key=$key" "$rootfs_tar" "$image" >/dev/null
    lab_say "imported $image in $((SECONDS - t))s"
  fi
fi

# The keys: one pair per lab and store (a store started with other keys is replaced).
if [ ! -s "$env_file" ]; then
  umask 077
  {
    echo "S3_ENDPOINT=http://$alias:$port"
    echo "S3_BUCKET=$bucket"
    echo "S3_REGION=$region"
    echo "S3_ACCESS_KEY=$(openssl rand -hex 10 | tr 'a-f' 'A-F')"
    echo "S3_SECRET_KEY=$(openssl rand -base64 30 | tr -d '/+=' | cut -c1-40)"
  } > "$env_file"
fi
# shellcheck source=/dev/null
. "$env_file"
key_id=$(sha256sum < "$env_file" | cut -c1-16)
entry_id=$(sha256sum < "$LAB_ROOT/lab/ceph-entrypoint.sh" | cut -c1-16)

# The store's CA (ceph): one per lab, its key never in the container; the server certificate (cert and key in
# rgw/rgw.pem, the only directory the container mounts) is made when the container has its address.
tls_dir="$LAB_STATE/objectstore/ceph-tls"
rgw_dir="$tls_dir/rgw"
if [ "$kind" = ceph ] && [ ! -s "$tls_dir/ca.crt" ]; then
  mkdir -p "$rgw_dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=airgap lab S3 store CA" \
    -keyout "$tls_dir/ca.key" -out "$tls_dir/ca.crt" 2>/dev/null
  rm -f "$rgw_dir/rgw.pem"
fi

# The container (kept when it is this lab's, with these keys and this image, and running).
keep=
if docker container inspect "$name" >/dev/null 2>&1; then
  if [ "$(docker inspect -f '{{index .Config.Labels "airgap-lab.state"}}' "$name")" = "$LAB_STATE" ] &&
     { [ "$kind" != ceph ] || [ -s "$rgw_dir/rgw.pem" ]; } &&
     [ "$(docker inspect -f '{{index .Config.Labels "airgap-lab.s3key"}}' "$name")" = "$key_id" ] &&
     { [ "$kind" != ceph ] || [ "$(docker inspect -f '{{index .Config.Labels "airgap-lab.entrypoint"}}' "$name")" = "$entry_id" ]; } &&
     [ "$(docker inspect -f '{{.Image}}' "$name")" = "$(docker image inspect -f '{{.Id}}' "$image")" ] &&
     [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ]; then
    keep=1
  else
    docker rm -f "$name" >/dev/null
  fi
fi
if [ -z "$keep" ]; then
  labels=(--label airgap-lab=1 --label "airgap-lab.state=$LAB_STATE" --label "airgap-lab.s3key=$key_id" --label airgap-lab.objectstore=1 --label airgap-lab.ssh=0)
  if [ "$kind" = versitygw ]; then
    docker run -d --name "$name" --hostname "$alias" "${labels[@]}" --network "$LAB_NET" --network-alias "$alias" \
      -e "ROOT_ACCESS_KEY_ID=$S3_ACCESS_KEY" -e "ROOT_SECRET_ACCESS_KEY=$S3_SECRET_KEY" -e "VGW_REGION=$region" \
      --memory 256m "$image" >/dev/null
  else
    # No certificate of an earlier container: the entrypoint waits for this one's.
    mkdir -p "$rgw_dir" && rm -f "$rgw_dir/rgw.pem"
    docker run -d --name "$name" --hostname "$alias" "${labels[@]}" --network "$LAB_NET" --network-alias "$alias" \
      --label "airgap-lab.entrypoint=$entry_id" -v "$LAB_ROOT/lab/ceph-entrypoint.sh:/lab/ceph-entrypoint.sh:ro" \
      -v "$env_file:/lab/s3.env:ro" -v "$rgw_dir:/lab/tls:ro" --memory 2g "$image" >/dev/null
    # Its server certificate, for rgw.lab and the address it was given (the registry's containers on the
    # replicas reach the store by address); the entrypoint starts radosgw once the file is there.
    ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$LAB_NET\").IPAddress}}" "$name")
    work_tls=$(mktemp -d)
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$alias" \
      -keyout "$work_tls/rgw.key" -out "$work_tls/rgw.csr" 2>/dev/null
    openssl x509 -req -in "$work_tls/rgw.csr" -CA "$tls_dir/ca.crt" -CAkey "$tls_dir/ca.key" -CAcreateserial \
      -days 825 -extfile <(printf 'subjectAltName=DNS:%s,IP:%s\nextendedKeyUsage=serverAuth\n' "$alias" "$ip") \
      -out "$work_tls/rgw.crt" 2>/dev/null
    cat "$work_tls/rgw.crt" "$work_tls/rgw.key" > "$rgw_dir/rgw.pem.tmp"
    chmod 644 "$rgw_dir/rgw.pem.tmp" && mv "$rgw_dir/rgw.pem.tmp" "$rgw_dir/rgw.pem"
    rm -rf "$work_tls"
  fi
  lab_say "started $name ($alias)"
fi

# Answering a signed ListBuckets with 200, then the bucket. S3 wants x-amz-content-sha256 signed
# too (curl 7.88 signs the x-amz-* headers it is given): the requests here have no body, so it is
# the SHA-256 of nothing. The keys reach curl as a config on stdin, not on a command line.
empty_sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
s3() { # method path [curl args...]: a SigV4-signed request from the bastion, prints the status
  local method=$1 p=$2 how=(-X "$1")
  shift 2
  [ "$method" = HEAD ] && how=(--head)
  printf 'user = "%s:%s"\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" |
    docker exec -i airgap-lab-bastion curl -K - -sS -o /dev/null -w '%{http_code}' --max-time 10 "${how[@]}" \
      --aws-sigv4 "aws:amz:$region:s3" -H "x-amz-content-sha256: $empty_sha" "$@" "$S3_ENDPOINT$p"
}
code=
for _ in $(seq 1 180); do
  if [ "$kind" = ceph ] && ! docker exec "$name" test -e /run/lab-ceph.ready 2>/dev/null; then
    [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ] || break
    sleep 1; continue
  fi
  code=$(s3 GET / 2>/dev/null) || true
  case "$code" in 200) break ;; 000|"") sleep 1 ;; 5*) sleep 1 ;; *) break ;; esac
done
if [ "$code" != 200 ]; then
  docker logs --tail 30 "$name" >&2 || true
  lab_fail "$name ($S3_ENDPOINT) did not answer a signed ListBuckets with 200 (last: ${code:-none})"
fi
lab_say "$name answers S3 at $S3_ENDPOINT after $((SECONDS - start))s"
code=$(s3 HEAD "/$bucket")
if [ "$code" != 200 ]; then
  code=$(s3 PUT "/$bucket")
  [ "$code" = 200 ] || lab_fail "creating bucket $bucket on $S3_ENDPOINT answered $code"
  lab_say "bucket $bucket created"
fi
if [ "$kind" = ceph ]; then
  # Over TLS too, verified against the store's CA (on the bastion, through the lab network).
  code=$(docker exec -i airgap-lab-bastion sh -c 'f=$(mktemp); cat > "$f"; curl -sS -o /dev/null -w "%{http_code}" --max-time 10 --cacert "$f" "$1"; rm -f "$f"' \
    sh "https://$alias:7443/" < "$tls_dir/ca.crt") || true
  [ "$code" = 200 ] || lab_fail "$name does not answer S3 over TLS at https://$alias:7443 verified by $tls_dir/ca.crt (got: ${code:-none})"
  printf 'S3_TLS_ENDPOINT=https://%s:7443\nS3_CA_CERT=%s\n' "$alias" "$tls_dir/ca.crt" > "$LAB_STATE/objectstore/$kind-tls.env"
fi
lab_say "$kind ready in $((SECONDS - start))s: endpoint $S3_ENDPOINT (on $LAB_NET), bucket $bucket, region $region, keys in $env_file"
echo "$env_file"
