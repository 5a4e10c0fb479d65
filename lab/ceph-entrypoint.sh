#!/bin/bash
# PID 1 of the lab's Ceph RGW host (lab/objectstore.sh ceph): a single-node Ceph Pacific from
# Debian's packages, bootstrapped by hand on the first start (vstart-like: one mon, one mgr, one
# bluestore OSD on a sparse file, pool size 1), then radosgw answering S3 on :7480 and over TLS on
# :7443 (the certificate and key in /lab/tls/rgw.pem, written by lab/objectstore.sh once it knows
# this container's address), and a user with the access/secret key from /lab/s3.env (S3_ACCESS_KEY,
# S3_SECRET_KEY). The mon and the OSD talk
# on 127.0.0.1 only; radosgw listens on every address (rgw.lab on the lab network). A restarted
# container starts the same daemons on the state it kept. Progress goes to /var/log/lab-ceph.log;
# /run/lab-ceph.ready appears when S3 answers with the user in place.
set -euo pipefail
log=/var/log/lab-ceph.log
exec > >(tee -a "$log") 2>&1
say() { echo "$(date -u +%T) $*"; }
t0=$(date +%s)
wait_for() { # seconds description command...
  local n=$1 what=$2
  shift 2
  for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  say "ERROR: $what not within ${n}s"
  return 1
}
rm -f /run/lab-ceph.ready
mkdir -p /var/run/ceph /var/log/ceph
if [ ! -e /var/lib/ceph/.lab-bootstrapped ]; then
  say "bootstrapping"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat > /etc/ceph/ceph.conf <<CONF
[global]
fsid = $fsid
mon_initial_members = a
mon_host = [v2:127.0.0.1:3300,v1:127.0.0.1:6789]
public_network = 127.0.0.0/8
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = 10737418240
osd_memory_target = 939524096
ms_bind_ipv6 = false
[client.rgw.lab]
rgw_frontends = beast port=7480 ssl_port=7443 ssl_certificate=/lab/tls/rgw.pem
log_file = /var/log/ceph/rgw.log
CONF
  ceph-authtool --create-keyring /tmp/mon.keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring /etc/ceph/ceph.client.admin.keyring --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool /tmp/mon.keyring --import-keyring /etc/ceph/ceph.client.admin.keyring >/dev/null
  monmaptool --create --addv a '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]' --fsid "$fsid" /tmp/monmap >/dev/null
  mkdir -p /var/lib/ceph/mon/ceph-a
  ceph-mon --mkfs -i a --monmap /tmp/monmap --keyring /tmp/mon.keyring
  rm -f /tmp/mon.keyring /tmp/monmap
fi
ceph-mon -i a
wait_for 60 "the mon" ceph -s --connect-timeout 5
say "mon up after $(( $(date +%s) - t0 ))s"
if [ ! -e /var/lib/ceph/mgr/ceph-x/keyring ]; then
  mkdir -p /var/lib/ceph/mgr/ceph-x
  ceph auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' > /var/lib/ceph/mgr/ceph-x/keyring
fi
ceph-mgr -i x
if [ ! -e /var/lib/ceph/.lab-bootstrapped ]; then
  uuid=$(cat /proc/sys/kernel/random/uuid)
  secret=$(ceph-authtool --gen-print-key)
  id=$(echo "{\"cephx_secret\": \"$secret\"}" | ceph osd new "$uuid" -i - -n client.admin)
  mkdir -p "/var/lib/ceph/osd/ceph-$id"
  ceph-authtool --create-keyring "/var/lib/ceph/osd/ceph-$id/keyring" --name "osd.$id" --add-key "$secret" >/dev/null
  ceph-osd -i "$id" --mkfs --osd-uuid "$uuid"
  echo "$id" > /var/lib/ceph/.lab-osd-id
fi
id=$(cat /var/lib/ceph/.lab-osd-id)
ceph-osd -i "$id"
wait_for 120 "OSD $id up" sh -c 'ceph osd stat -f json | grep -q "\"num_up_osds\":1"'
say "OSD up after $(( $(date +%s) - t0 ))s"
if [ ! -e /var/lib/ceph/radosgw/ceph-rgw.lab/keyring ]; then
  mkdir -p /var/lib/ceph/radosgw/ceph-rgw.lab
  ceph auth get-or-create client.rgw.lab mon 'allow rw' osd 'allow rwx' > /var/lib/ceph/radosgw/ceph-rgw.lab/keyring
fi
wait_for 120 "the TLS certificate /lab/tls/rgw.pem" test -s /lab/tls/rgw.pem
radosgw -n client.rgw.lab --keyring /var/lib/ceph/radosgw/ceph-rgw.lab/keyring
wait_for 120 "radosgw on :7480" curl -fsS -o /dev/null http://127.0.0.1:7480/
wait_for 30 "radosgw on :7443 (TLS)" curl -fsS -k -o /dev/null https://127.0.0.1:7443/
say "radosgw answering after $(( $(date +%s) - t0 ))s"
if [ ! -e /var/lib/ceph/.lab-bootstrapped ]; then
  # shellcheck source=/dev/null
  . /lab/s3.env
  radosgw-admin user create --uid=lab --display-name="airgap lab" \
    --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >/dev/null
  touch /var/lib/ceph/.lab-bootstrapped
fi
touch /run/lab-ceph.ready
say "ready after $(( $(date +%s) - t0 ))s"
exec sleep infinity
