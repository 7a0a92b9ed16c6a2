#!/usr/bin/env bash
# Build the mypyc-compiled engine into its own venv and run `clearhouse bench` with it.
# Usage: bench/run_compiled.sh [bench options...]   e.g. bench/run_compiled.sh --ops 1000000 --json
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-compiled
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet ".[bench]"
# last, so nothing reinstalls the pure-Python build over it
CLEARHOUSE_COMPILE=1 "$VENV/bin/python" -m pip install --quiet --force-reinstall --no-deps .
# run from outside the source tree so the compiled installed package is imported
cd /tmp && exec "$OLDPWD/$VENV/bin/clearhouse" bench "$@"
