"""Optional compilation of the engine's hot modules with mypyc.

`CLEARHOUSE_COMPILE=1 pip install .` compiles the modules below to C extensions; without it the
package is pure Python. The source stays Python either way and the test suite runs on both
(the compiled build must produce the same state hash for the same journal).
"""

from __future__ import annotations

import os

from setuptools import setup

# The deterministic core minus every module that defines msgspec Structs (commands, events,
# units): mypyc drops the class keywords msgspec reads (array_like, tag, ...), so those classes
# would encode differently when compiled. The compiled-build test pins this down.
COMPILED_MODULES = [
    "clearhouse/core/errors.py",
    "clearhouse/core/ledger.py",
    "clearhouse/core/book.py",
    "clearhouse/core/accounts.py",
    "clearhouse/core/context.py",
    "clearhouse/core/triggers.py",
    "clearhouse/core/wallet.py",
    "clearhouse/core/listing.py",
    "clearhouse/core/identities.py",
    "clearhouse/core/policy.py",
    "clearhouse/core/state.py",
    "clearhouse/core/engine.py",
    "clearhouse/core/products/spot_market.py",
    "clearhouse/core/products/spot.py",
    "clearhouse/core/products/spot_triggers.py",
]

ext_modules = []
if os.environ.get("CLEARHOUSE_COMPILE") == "1":
    from mypyc.build import mypycify

    ext_modules = mypycify(COMPILED_MODULES, opt_level="3")

setup(ext_modules=ext_modules)
