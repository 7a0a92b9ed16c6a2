"""The engine compiled with mypyc behaves exactly like the Python source: the same random
command stream gives the same state hash in both builds."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import random, sys
from clearhouse.bench import load_driver
from clearhouse.bench.runner import _compiled
from clearhouse.config.genesis import default_listing
from clearhouse.core.commands import Envelope
from clearhouse.core.engine import Engine
from clearhouse.core.invariants import assert_all

class Holder:
    def __init__(self, engine):
        self.engine = engine

engine = Engine()
holder = Holder(engine)
seq = 0
for command in default_listing() + load_driver.setup_commands():
    seq += 1
    engine.apply(Envelope(seq, seq, command))
accounts = sorted(engine.state.accounts)
rng = random.Random(42)
for _ in range(5000):
    seq += 1
    engine.apply(Envelope(seq, seq * 1000, load_driver.random_command(rng, holder, accounts)))
assert_all(engine.state)
print(_compiled(), engine.state_hash())
"""


def _modules() -> list[str]:
    modules = re.findall(r'"(clearhouse/core/[^"]+[.]py)"', (ROOT / "setup.py").read_text())
    assert modules, "setup.py lists the modules to compile"
    return modules


@pytest.mark.slow
def test_mypyc_build_gives_the_same_state_hash_as_the_source(tmp_path: Path) -> None:
    pytest.importorskip("mypyc")
    shutil.copytree(
        ROOT / "clearhouse",
        tmp_path / "clearhouse",
        ignore=shutil.ignore_patterns("*.so", "__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")  # mypy settings
    build = subprocess.run(
        [sys.executable, "-m", "mypyc", *_modules()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    compiled = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=tmp_path, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    source = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True
    )
    compiled_flag, compiled_hash = compiled.stdout.split()
    source_flag, source_hash = source.stdout.split()
    assert compiled_flag == "True" and source_flag == "False"
    assert compiled_hash == source_hash
