#!/usr/bin/env bash
# Builds kube-apiserver (or, given `kubectl`, kubectl) v1.34.2 from the k8s.io/kubernetes Go module
# through the Go module proxy, for the Kubernetes-datastore tests (test/helpers/kube-apiserver.ts) and
# benchmarks. The module in scripts/kubernetes/ requires k8s.io/kubernetes and replaces each of its
# staging modules (k8s.io/api, k8s.io/client-go, ...; required there at the non-existent v0.0.0) with
# the same release from the proxy; its go.sum is committed, so every download is checked.
#
# The binary is cached outside the clone, keyed by the version and a hash of the module files and the
# build flags, and is not built again while that key holds. Concurrent runs wait for each other (flock),
# so a test can call this while a background build started by scripts/install-test-deps.sh is running.
# Prints the binary's path on stdout; progress and Go's output go to stderr.
#
#   bash scripts/build-kube-apiserver.sh [--cached] [kube-apiserver|kubectl]
#
# --cached: build nothing; print the path and exit 0 when the binary is in the cache, else exit 1.
#
# Environment: CALICOCTL_TS_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/calicoctl-ts) is the cache.
set -euo pipefail
cd "$(dirname "$0")/kubernetes"

cached_only=false
if [ "${1:-}" = --cached ]; then
  cached_only=true
  shift
fi
program="${1:-kube-apiserver}"
case "$program" in
  kube-apiserver | kubectl) ;;
  *)
    echo "usage: $0 [--cached] [kube-apiserver|kubectl]" >&2
    exit 2
    ;;
esac

version=v1.34.2
minor=34
# Built without DWARF and symbol tables (-s -w: the link is faster and the binary a third smaller) and
# with the version kube-apiserver reports on /version (empty otherwise).
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
# -trimpath and -buildvcs=false keep paths and this repository's commit out of the binary, so the same
# sources build the same bytes in any clone.
build_flags=(-trimpath -buildvcs=false -mod=readonly -ldflags "$ldflags")

key="$(cat go.mod go.sum tools.go <(printf '%s\n' "${build_flags[@]}") | sha256sum | cut -c1-16)"
cache_root="${CALICOCTL_TS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/calicoctl-ts}"
dir="$cache_root/kubernetes-$version-$key"
binary="$dir/$program"
if $cached_only; then
  [ -x "$binary" ] && echo "$binary"
  exit $?
fi
mkdir -p "$dir"

exec 9>"$dir/.lock"
if ! flock -n 9; then
  echo "build-kube-apiserver: waiting for another build in $dir" >&2
  flock 9
fi
if [ ! -x "$binary" ]; then
  # Go's own install location, for a shell whose PATH was not set up by a login profile.
  if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:$PATH"; fi
  command -v go >/dev/null || {
    echo "build-kube-apiserver: Go is not installed (Go >= 1.24 is needed to build kube-apiserver $version)" >&2
    exit 1
  }
  echo "build-kube-apiserver: building $program $version into $dir (several minutes the first time)" >&2
  start=$SECONDS
  # GOTOOLCHAIN=local: build with the installed Go, never download another toolchain.
  GOTOOLCHAIN=local GOFLAGS= go build "${build_flags[@]}" -o "$binary.partial" "k8s.io/kubernetes/cmd/$program"
  mv "$binary.partial" "$binary"
  echo "build-kube-apiserver: built $program in $((SECONDS - start)) s" >&2
fi
echo "$binary"
