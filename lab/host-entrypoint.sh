#!/bin/sh
# PID 1 of a lab host: sshd (key from /lab/authorized_keys) and, on engine hosts, its own dockerd
# under a restart loop (the lab has no init system; stopping dockerd is how it is restarted).
set -eu
mkdir -p /run/sshd /root/.ssh
chmod 700 /root/.ssh
cp /lab/authorized_keys /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
# Each host its own identity: the host keys baked into the image are replaced on the first start
# (lab/up.sh then records them, read out of band, in the lab's known_hosts).
if [ ! -e /etc/ssh/.lab-host-keys ]; then rm -f /etc/ssh/ssh_host_*; touch /etc/ssh/.lab-host-keys; fi
ssh-keygen -A >/dev/null
/usr/sbin/sshd -o PermitRootLogin=prohibit-password -o PasswordAuthentication=no
if [ "${LAB_DOCKERD:-0}" = 1 ]; then
  # Like a service manager: starts dockerd, again when it stops, and once it is installed.
  (while :; do if command -v dockerd >/dev/null 2>&1; then dockerd >>/var/log/dockerd.log 2>&1 || true; fi; sleep 1; done) &
fi
exec sleep infinity
