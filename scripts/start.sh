#!/usr/bin/env bash
# One command from a fresh clone to a running demo venue on 127.0.0.1:8080.
# Creates .venv, installs Clearhouse (engine compiled with mypyc when a C compiler is present,
# pure Python otherwise), then starts `clearhouse serve` in demo mode with embedded storage.
# Extra arguments go to `clearhouse serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
if ! CLEARHOUSE_COMPILE=1 python -m pip install --quiet . ; then
  echo "compiled build failed; installing the pure-Python engine" >&2
  python -m pip install --quiet .
fi
exec clearhouse serve --demo "$@"
