"""Reference implementations the pricing tests compare against, imported only if installed.

py_vollib (now the `vollib` package behind a deprecated `py_vollib` alias) prices with Jäckel's
LetsBeRational normalised Black; QuantLib's `blackFormula`; mpmath at 50 digits is the ground
truth. Each loader skips the calling test cleanly when its package is absent.
"""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

import pytest


def py_vollib_black() -> Any:
    """The `py_vollib.black` module (price, greeks.analytical, implied_volatility)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = pytest.importorskip("py_vollib.black")
        pytest.importorskip("py_vollib.black.greeks.analytical")
        pytest.importorskip("py_vollib.black.implied_volatility")
    return module


def lets_be_rational() -> ModuleType:
    return pytest.importorskip("py_lets_be_rational")


def quantlib() -> Any:
    return pytest.importorskip("QuantLib")


def mpmath() -> Any:
    return pytest.importorskip("mpmath")


def mp_black76(
    mp: Any, forward: float, strike: float, time_years: float, vol: float, rate: float, call: bool
) -> Any:
    """Black-76 at mpmath precision (the caller sets mp.mp.dps)."""
    f = mp.mpf(forward)
    k = mp.mpf(strike)
    s = mp.mpf(vol) * mp.sqrt(mp.mpf(time_years))
    d1 = (mp.log(f / k) + s * s / 2) / s
    d2 = d1 - s
    discount = mp.exp(-mp.mpf(rate) * mp.mpf(time_years))
    if call:
        return discount * (f * mp.ncdf(d1) - k * mp.ncdf(d2))
    return discount * (k * mp.ncdf(-d2) - f * mp.ncdf(-d1))
