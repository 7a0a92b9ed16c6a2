"""Option pricing numerics: Black-76 prices and Greeks, implied volatility, SVI vol surfaces.

Pure, deterministic numpy (plus scipy.special for Φ, Φ⁻¹ and erfcx; see `normal.py` for why):
no I/O, no clock, no randomness. Floats are fine here: these are model values (marks, margin
scenarios), converted to integer ticks by the caller at the edge of the ledger.

- `black76`: vectorised Black-76 prices and Greeks on the forward (conventions in its docstring)
- `implied_vol`: vectorised implied volatility with "no IV" reasons (Let's Be Rational scheme in
  `normalised_iv`, on Jäckel's normalised Black function in `normalised_black`)
- `svi`, `svi_fit`: raw SVI slices, their validity and butterfly checks, deterministic fitting
- `vol_surface`: the surface across expiries, interpolation in total variance, calendar check
"""

from clearhouse.core.pricing.black76 import (
    Black76Greeks,
    black76_greeks,
    black76_price,
    black76_price_scalar,
)
from clearhouse.core.pricing.implied_vol import (
    MIN_TIME_VALUE_FRACTION,
    ImpliedVols,
    IvReason,
    implied_vol,
    implied_vol_scalar,
)
from clearhouse.core.pricing.normalised_black import normalised_black_call
from clearhouse.core.pricing.normalised_iv import NormalisedSolution, normalised_implied_vol
from clearhouse.core.pricing.svi import (
    ButterflyCheck,
    SviParams,
    butterfly_check,
    butterfly_density,
)
from clearhouse.core.pricing.svi_fit import SviFit, fit_svi, fit_svi_to_vols
from clearhouse.core.pricing.vol_surface import (
    CalendarCheck,
    SliceQuotes,
    SurfaceFit,
    SviSlice,
    SviSurface,
    fit_svi_surface,
)

__all__ = [
    "MIN_TIME_VALUE_FRACTION",
    "Black76Greeks",
    "ButterflyCheck",
    "CalendarCheck",
    "ImpliedVols",
    "IvReason",
    "NormalisedSolution",
    "SliceQuotes",
    "SurfaceFit",
    "SviFit",
    "SviParams",
    "SviSlice",
    "SviSurface",
    "black76_greeks",
    "black76_price",
    "black76_price_scalar",
    "butterfly_check",
    "butterfly_density",
    "fit_svi",
    "fit_svi_surface",
    "fit_svi_to_vols",
    "implied_vol",
    "implied_vol_scalar",
    "normalised_black_call",
    "normalised_implied_vol",
]
