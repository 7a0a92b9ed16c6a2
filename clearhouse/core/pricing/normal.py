"""The standard normal distribution, as the pricing kernels need it: vectorised and tail-exact.

Why scipy.special and not a numpy-only approximation: the option formulas need Φ(z) with
*relative* accuracy deep in the lower tail (an out-of-the-money price is a difference of two
small Φ values), plus erfcx and Φ⁻¹ for the implied-volatility solver. scipy.special's `ndtr`,
`erfcx` and `ndtri` are Cephes / Faddeeva ufuncs with ~1e-16 relative accuracy across the whole
range, each a single C loop (≈14 ns per element on one core here). A numpy-only port of Cody's
three-region rational erfc (W. J. Cody, Math. Comp. 23 (1969) 631-637) needs ~60 array passes
per call (≈40 ns per element measured-equivalent), which alone would put the Black-76 kernel
below the 10M options/s target. numpy has no erf, erfcx or inverse normal of its own.

Every function writes into a caller-owned `out` array so the kernels can reuse scratch buffers
and so the untyped-or-stubbed scipy ufuncs never leak `Any` into typed code.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# scipy is typed through the optional scipy-stubs package; without it the module is untyped,
# which is harmless here because every result goes through a typed `out` array. (scipy is a
# runtime dependency of this package: it must be declared in pyproject.toml.)
from scipy import special as _special  # type: ignore[import-untyped, import-not-found, unused-ignore]

FloatArray = npt.NDArray[np.float64]

ONE_OVER_SQRT_TWO_PI = 0.3989422804014326779399460599343818684758586311649
SQRT_TWO_PI = 2.506628274631000502415765284811045253006986740610
ONE_OVER_SQRT_TWO = 0.7071067811865475244008443621048490392848359376887


def norm_cdf_into(z: FloatArray, out: FloatArray) -> FloatArray:
    """Φ(z) into `out`; relative accuracy ~1e-16 also for z ≪ 0 (Cephes ndtr uses erfc there)."""
    _special.ndtr(z, out=out)
    return out


def norm_cdf(z: FloatArray) -> FloatArray:
    """Φ(z) for an array z."""
    return norm_cdf_into(z, np.empty_like(z, dtype=np.float64))


def norm_inv_into(p: FloatArray, out: FloatArray) -> FloatArray:
    """Φ⁻¹(p) into `out` (Cephes ndtri, full double precision for p in (0, 1))."""
    _special.ndtri(p, out=out)
    return out


def norm_inv(p: FloatArray) -> FloatArray:
    """Φ⁻¹(p) for an array p."""
    return norm_inv_into(p, np.empty_like(p, dtype=np.float64))


def erfcx_into(z: FloatArray, out: FloatArray) -> FloatArray:
    """The scaled complementary error function exp(z²)·erfc(z) into `out`.

    Cancellation-free building block of the normalised Black function (Jäckel, "Let's Be
    Rational", 2013/2016, section 3): Φ(−y) = ½·exp(−y²/2)·erfcx(y/√2).
    """
    _special.erfcx(z, out=out)
    return out


def erfcx(z: FloatArray) -> FloatArray:
    """exp(z²)·erfc(z) for an array z."""
    return erfcx_into(z, np.empty_like(z, dtype=np.float64))


def norm_pdf_into(z: FloatArray, out: FloatArray) -> FloatArray:
    """φ(z) = exp(−z²/2)/√(2π) into `out` (z and out may be the same array only if z is spare)."""
    np.multiply(z, z, out=out)
    np.multiply(out, -0.5, out=out)
    np.exp(out, out=out)
    np.multiply(out, ONE_OVER_SQRT_TWO_PI, out=out)
    return out
