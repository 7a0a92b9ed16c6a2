"""`clearhouse/core/` is a pure, deterministic engine: no I/O, no wall clock, no randomness, no
web framework or database, and nothing from the rest of Clearhouse. Checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "clearhouse" / "core"

FORBIDDEN_MODULES = {
    "os", "io", "sys", "time", "datetime", "socket", "random", "secrets", "subprocess",
    "pathlib", "shutil", "tempfile", "threading", "multiprocessing", "asyncio", "logging",
    "uuid", "sqlite3", "starlette", "uvicorn", "fastapi", "sqlalchemy", "httpx", "requests",
    "websockets", "nats",
}  # fmt: skip
FORBIDDEN_CALLS = {"open", "print", "input", "eval", "exec"}


def _core_files() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_nothing_impure(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            root = name.split(".")[0]
            assert root not in FORBIDDEN_MODULES, f"{path.name} imports {name}"
            if root == "clearhouse":
                assert name.startswith("clearhouse.core"), f"{path.name} imports {name}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, f"{path.name} calls {node.func.id}()"


def test_no_float_in_the_money_path() -> None:
    """Balances, prices and sizes are ints: the ledger, book and spot product never use float."""
    for name in ("ledger.py", "book.py", "products/spot.py", "wallet.py", "units.py"):
        tree = ast.parse((CORE / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                assert node.id != "float", f"{name} mentions float"
            if isinstance(node, ast.Constant):
                assert not isinstance(node.value, float), f"{name} has a float literal"
            if isinstance(node, ast.BinOp):
                assert not isinstance(node.op, ast.Div), f"{name} uses true division"
