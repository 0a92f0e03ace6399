#!/usr/bin/env bash
# Installs the system packages the test suite runs against: a real etcd (server and etcdctl),
# BIRD 1.6 (bird, bird6, birdc) from Debian, and BIRD 2 unpacked beside it into .tmp/bird2
# because the two Debian packages conflict. Idempotent; needs root (or sudo) on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
[ -x /usr/sbin/bird ] || need+=(bird)
command -v ip >/dev/null || need+=(iproute2)
command -v openssl >/dev/null || need+=(openssl)
command -v iptables >/dev/null || need+=(iptables)
# node check's data-plane lab pings pods across its network namespaces.
command -v ping >/dev/null || need+=(iputils-ping)
# BIRD 2 is unpacked, not installed, so its shared libraries are installed here.
ldconfig -p | grep -q libssh-gcrypt.so.4 || need+=(libssh-gcrypt-4)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # policy-rc.d keeps the packages' own services (etcd, bird) from starting on install.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  $SUDO rm -f /usr/sbin/policy-rc.d
fi
# Stop any service the packages may have started anyway; the tests start their own daemons.
for svc in etcd bird bird6; do
  if command -v service >/dev/null; then $SUDO service "$svc" stop >/dev/null 2>&1 || true; fi
done

if [ ! -x .tmp/bird2/usr/sbin/bird ]; then
  mkdir -p .tmp/bird2-deb
  (cd .tmp/bird2-deb && apt-get download bird2 >/dev/null 2>&1 || { $SUDO apt-get update -qq && apt-get download bird2 >/dev/null; })
  dpkg -x .tmp/bird2-deb/bird2_*.deb .tmp/bird2
fi
echo "test dependencies: $(etcd --version | head -1); $(/usr/sbin/bird --version 2>&1 | head -1); bird2 $(.tmp/bird2/usr/sbin/bird --version 2>&1 | head -1)"
