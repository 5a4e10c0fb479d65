#!/bin/sh
# PID 1 of the lab bastion: sshd in the foreground with a log of every connection (LogLevel
# VERBOSE, /var/log/sshd.log), which the bench counts: each SSH connection through the bastion is
# one "Accepted publickey" line, each one sshd turned away a "drop connection" or
# "MaxStartups throttling" line. Its limits come from /lab/bastion-sshd.conf (operator settings a
# large site needs too; README, "Scale").
set -eu
mkdir -p /run/sshd /root/.ssh /etc/ssh/sshd_config.d
cp /lab/authorized_keys /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
if [ ! -e /etc/ssh/.lab-host-keys ]; then rm -f /etc/ssh/ssh_host_*; touch /etc/ssh/.lab-host-keys; fi
ssh-keygen -A >/dev/null
cp /lab/bastion-sshd.conf /etc/ssh/sshd_config.d/lab-bastion.conf
exec /usr/sbin/sshd -D -E /var/log/sshd.log -o LogLevel=VERBOSE -o PermitRootLogin=prohibit-password -o PasswordAuthentication=no
