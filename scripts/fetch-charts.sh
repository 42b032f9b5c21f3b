#!/usr/bin/env bash
# The released charts the tests deploy, pulled with `helm pull` from the upstream registries into
# .tools/charts — only when no folder already holds them (SLIMCTL_CHARTS_DIR, or ../shared/charts
# beside the checkout, as on the project's machines, which cannot reach those registries).
# Nothing here is committed: charts are never copied into the repository.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
files=(slim-1.4.0.tgz slim-2.2.0.tgz slim-control-plane-1.4.0.tgz slim-control-plane-2.2.0.tgz slim-spire-2.0.0.tgz spire-crds-0.5.0.tgz spire-0.26.0.tgz)
has_all() { for f in "${files[@]}"; do [ -f "$1/$f" ] || return 1; done; }
for d in "${SLIMCTL_CHARTS_DIR:-}" "$root/../shared/charts" "$root/.tools/charts"; do
  if [ -n "$d" ] && has_all "$d"; then exit 0; fi
done
helm="$root/.tools/bin/helm"
out="$root/.tools/charts"
mkdir -p "$out"
echo "pulling the released charts into $out" >&2
for c in slim:1.4.0 slim:2.2.0 slim-control-plane:1.4.0 slim-control-plane:2.2.0 slim-spire:2.0.0; do
  "$helm" pull "oci://ghcr.io/agntcy/slim/helm/${c%%:*}" --version "${c##*:}" --destination "$out"
done
for c in spire-crds:0.5.0 spire:0.26.0; do
  "$helm" pull "${c%%:*}" --repo https://spiffe.github.io/helm-charts-hardened/ --version "${c##*:}" --destination "$out"
done
"$helm" repo index "$out"
