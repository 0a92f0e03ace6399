#!/usr/bin/env bash
# Installs the system packages the test suite runs against: a real etcd (server and etcdctl),
# BIRD 1.6 (bird, bird6, birdc) from Debian, and BIRD 2 unpacked beside it into .tmp/bird2
# because the two Debian packages conflict; and starts the build of kube-apiserver for the
# Kubernetes-datastore tests. Idempotent; needs root (or sudo) on Debian, and Go >= 1.24.
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
# kube-apiserver, built from Go modules and cached outside the clone (scripts/build-kube-apiserver.sh).
# A first build takes minutes, so it runs in the background while the test command builds, lints and
# runs the other tests; the Kubernetes-datastore tests wait for it (test/helpers/kube-apiserver.ts runs
# the same script, which waits for a build in progress and then finds the binary in the cache). At a
# lower priority, so that the tests running meanwhile keep the cores they need.
if kube_apiserver="$(bash scripts/build-kube-apiserver.sh --cached)"; then
  kube_note="kube-apiserver $kube_apiserver"
else
  mkdir -p .tmp
  nohup nice -n 10 bash scripts/build-kube-apiserver.sh >.tmp/kube-apiserver-build.log 2>&1 </dev/null &
  kube_note="kube-apiserver building in the background (log: .tmp/kube-apiserver-build.log)"
fi
echo "test dependencies: $(etcd --version | head -1); $(/usr/sbin/bird --version 2>&1 | head -1); bird2 $(.tmp/bird2/usr/sbin/bird --version 2>&1 | head -1); $kube_note"
