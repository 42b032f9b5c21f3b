#!/usr/bin/env bash
# slimctl(1), generated from the command definitions by swift-argument-parser's GenerateManual
# plugin (which runs the debug binary with --experimental-dump-help), so the page cannot drift
# from `slimctl --help`. The page is committed as Docs/man/slimctl.1: installs and `make dist`
# need no plugin run.
#
#   scripts/man-page.sh           regenerate; Docs/man/slimctl.1 is replaced only when more
#                                 than its date (.Dd) changed, so the date says when it last did
#   scripts/man-page.sh --check   fail, with the difference, when Docs/man/slimctl.1 is not
#                                 what the command definitions give (`make test` runs this)
#
# The debug configuration, because the release one would cost a second full build. Run it
# outside `swift build`/`swift test`: the plugin builds the package, and two builds of one
# folder wait on each other's lock.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
check=0
if [ "${1:-}" = --check ]; then check=1; elif [ $# -gt 0 ]; then echo "usage: $0 [--check]" >&2; exit 2; fi
committed=Docs/man/slimctl.1
out=.build/plugins/GenerateManual/outputs/slimctl/slimctl.1
log=.build/generate-manual.log
mkdir -p .build
rm -f "$out"
if ! ${SWIFT:-swift} package --disable-sandbox generate-manual --configuration debug --date "$(date +%Y-%m-%d)" >"$log" 2>&1; then
  cat "$log" >&2
  echo "generate-manual failed (log: $log)" >&2
  exit 1
fi
if [ ! -s "$out" ]; then
  generated=$(find .build/plugins -name slimctl.1 -newer "$log" 2>/dev/null | head -1 || true)
  if [ -z "$generated" ]; then echo "generate-manual wrote no slimctl.1 (log: $log)" >&2; exit 1; fi
  out=$generated
fi
same=0
if [ -f "$committed" ] && diff -q <(grep -v '^\.Dd ' "$committed") <(grep -v '^\.Dd ' "$out") >/dev/null; then same=1; fi
if [ "$check" = 1 ]; then
  if [ "$same" = 1 ]; then echo "$committed is up to date"; exit 0; fi
  diff -u --label "$committed" --label "generated from the commands" <(grep -v '^\.Dd ' "$committed" 2>/dev/null || true) \
    <(grep -v '^\.Dd ' "$out") | head -60 >&2 || true
  echo "$committed does not match the command definitions: run \`make man\` and commit it" >&2
  exit 1
fi
if [ "$same" = 1 ]; then echo "$committed is up to date"; exit 0; fi
mkdir -p "$(dirname "$committed")"
cp "$out" "$committed"
echo "wrote $committed"
