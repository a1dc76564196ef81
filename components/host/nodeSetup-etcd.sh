#!/bin/sh
# k8s-aws node setup for an external etcd member: hostname and (once per version) etcd and the
# AWS CLI. No pod-network kernel settings, no container runtime, no kubelet (it would restart
# forever there); etcd.service starts from its own unit. Idempotent; runs on every boot.
# Rendered by k8s-aws (components/host/script.ts renderScript): do not edit on the host.
# parameters: ROLE MARKER ARCH PINNED_ETCD
set -eu

ROOT="${K8S_AWS_ROOT:-}"

prepare_kernel() { :; }
install_role() { :; }
start_role() { :; }

# shellcheck source=nodeSetup.sh
. ./nodeSetup.sh
