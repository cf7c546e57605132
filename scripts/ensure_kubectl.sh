#!/usr/bin/env bash
# Make sure `kubectl kustomize` works (tests/deploy renders every overlay with it). The machine
# image ships kubectl; where it is missing, Debian's kubernetes-client provides one. No binary is
# downloaded from anywhere else: if neither works, fail and say so.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v kubectl >/dev/null 2>&1; then
  echo "kubectl missing: installing Debian's kubernetes-client"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null || true
fi
if ! command -v kubectl >/dev/null 2>&1; then
  echo "kubectl is not installed and Debian's kubernetes-client could not be installed;" \
       "tests/deploy cannot render deploy/k8s" >&2
  exit 1
fi
kubectl kustomize deploy/k8s/base >/dev/null || {
  echo "kubectl $(kubectl version --client 2>&1 | head -1) cannot render deploy/k8s/base" >&2
  exit 1; }
