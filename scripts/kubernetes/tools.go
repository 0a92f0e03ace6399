//go:build tools

// Package tools pins the Kubernetes programs the tests and benchmarks build (see
// scripts/build-kube-apiserver.sh): importing their main packages keeps every module they need in
// go.mod and go.sum, so `go build` verifies each download against the sums committed here.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
