#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: creates .venv, installs Clearhouse
# (pure Python, editable) with its test dependencies, lints, type-checks, runs pytest.
# pytest's "no tests ran" (exit 5) is a failure. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".[test,bench]"
ruff check clearhouse tests bench
mypy
set +e
python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$status"
