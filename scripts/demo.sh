#!/usr/bin/env bash
# `make demo`: the daemonset strategy on the local target, end to end, with real SLIM processes.
set -euo pipefail
cd "$(dirname "$0")/.."
S=${S:-.build/release/slimctl}
export SLIMCTL_STATE_DIR="${SLIMCTL_STATE_DIR:-$PWD/.slimctl/demo}"
trap '$S delete daemonset >/dev/null 2>&1 || true' EXIT
echo "== plan"; $S plan daemonset
echo; echo "== deploy"; $S deploy daemonset
echo; echo "== verify"; $S verify daemonset --wait --timeout 30
echo; echo "== test (10 messages)"; $S test all daemonset --keep
echo; echo "== logs (last lines of each pod)"; $S logs daemonset --tail 3 --no-color
echo; echo "== delete"; $S delete daemonset
trap - EXIT
