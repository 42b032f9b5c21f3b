#!/usr/bin/env bash
# Lays out an installed slimctl: BIN becomes DEST/bin/slimctl and the built-in strategies,
# values, manifests, runtime and image files go to DEST/share/slimctl (the binary finds them
# there as <dir of executable>/../share/slimctl). Used by `make install`, `make dist` and the
# tests, so all three ship the same files. STRIP=1 strips the binary; COMMIT, when set, is
# written to share/slimctl/COMMIT for `slimctl version`.
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 BINARY DEST" >&2; exit 2; fi
bin=$1 dest=$2
src=$(cd "$(dirname "$0")/.." && pwd)
share="$dest/share/slimctl"
install -d -m 0755 "$dest/bin" "$share"
if [ "${STRIP:-0}" = 1 ]; then install -m 0755 -s "$bin" "$dest/bin/slimctl"; else install -m 0755 "$bin" "$dest/bin/slimctl"; fi
rm -rf "$share/strategies" "$share/values" "$share/runtime" "$share/images"
for d in strategies values runtime images; do
  (cd "$src" && find "$d" -type f ! -name '*.pyc' ! -path '*/__pycache__/*') | while read -r f; do
    install -D -m 0644 "$src/$f" "$share/$f"
  done
done
if [ -n "${COMMIT:-}" ]; then printf '%s\n' "$COMMIT" > "$share/COMMIT"; else rm -f "$share/COMMIT"; fi
