#!/usr/bin/env bash
# A venv at $1 with the PyPI `cloudreve` SDK (v3 and v4 clients): the independent client the
# sandbox's fidelity tests run, and the Python baseline of `make bench`.
set -euo pipefail
venv="$1"
if "$venv/bin/python" -c 'import cloudreve.v3, cloudreve.v4' 2>/dev/null; then
  exit 0
fi
echo "== Python SDK venv ($venv)" >&2
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check cloudreve==2.0.2
