"""A market's prices and sizes between ticks/lots and Gate's decimal strings, in integers.

`MarketUnits` (core/units.py) defines the conversions with `Decimal`; every request and response
of the order routes goes through them, and `Decimal` arithmetic is most of their cost. A tick or
lot is `mantissa x 10**-scale` exactly, so a price is `ticks x mantissa` units of `10**-scale`
and formats with the integer `format_units`; a decimal string parses to an integer the same way.
Both give exactly what `MarketUnits` gives: anything the integer path does not cover plainly (a
value it would have to reject, an absurdly long number) is handed to `MarketUnits`, which
decides and words the error as before.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from clearhouse.core.units import MAX_DECIMAL_DIGITS, MarketUnits

MAX_EXACT_DIGITS: Final = 27  # Decimal's default context keeps 28 significant digits
_EXACT_LIMIT: Final = 10**MAX_EXACT_DIGITS
MAX_CACHED_MARKETS: Final = 4_096
MAX_REMEMBERED_TEXTS: Final = 4_096  # per market and kind of number


def mantissa_and_scale(step: Decimal) -> tuple[int, int]:
    """(m, k) with step == m * 10**-k, k >= 0."""
    sign, digits, exponent = step.normalize().as_tuple()
    assert isinstance(exponent, int) and not sign
    mantissa = int("".join(map(str, digits)) or "0")
    if exponent >= 0:
        return mantissa * 10**exponent, 0
    return mantissa, -exponent


class _Fixed:
    """`format_units(value, scale)` for one scale, with its power of ten worked out once and the
    texts of recent values remembered (order flow repeats a few prices and sizes endlessly)."""

    __slots__ = ("scale", "one", "_texts")

    def __init__(self, scale: int) -> None:
        self.scale = scale
        self.one = 10**scale
        self._texts: dict[int, str] = {}

    def __call__(self, value: int) -> str:
        text = self._texts.get(value)
        if text is None:
            text = self._format(value)
            if len(self._texts) >= MAX_REMEMBERED_TEXTS:
                self._texts.clear()
            self._texts[value] = text
        return text

    def _format(self, value: int) -> str:
        if value < 0:
            return "-" + self._format(-value)
        whole, fraction = divmod(value, self.one)
        if not fraction:
            return str(whole)
        return f"{whole}.{str(fraction).rjust(self.scale, '0').rstrip('0')}"


class MarketNumbers:
    __slots__ = ("units", "tick_mantissa", "lot_mantissa", "_tick", "_lot", "_base", "_quote")

    def __init__(self, units: MarketUnits) -> None:
        self.units = units
        self.tick_mantissa, tick_scale = mantissa_and_scale(units.tick)
        self.lot_mantissa, lot_scale = mantissa_and_scale(units.lot)
        self._tick = _Fixed(tick_scale)
        self._lot = _Fixed(lot_scale)
        self._base = _Fixed(units.base_scale)
        self._quote = _Fixed(units.quote_scale)

    # --- formatting ----------------------------------------------------------------------------
    def price(self, ticks: int) -> str:
        """`MarketUnits.format_price`."""
        if not ticks:
            return "0"
        value = ticks * self.tick_mantissa
        if -_EXACT_LIMIT < value < _EXACT_LIMIT:
            return self._tick(value)
        return self.units.format_price(ticks)

    def size(self, lots: int) -> str:
        """`MarketUnits.format_size`."""
        if not lots:
            return "0"
        value = lots * self.lot_mantissa
        if -_EXACT_LIMIT < value < _EXACT_LIMIT:
            return self._lot(value)
        return self.units.format_size(lots)

    def base(self, units: int) -> str:
        """`MarketUnits.format_base` (`format_units` at the base asset's scale)."""
        return self._base(units) if units else "0"

    def quote(self, units: int) -> str:
        """`MarketUnits.format_quote`."""
        return self._quote(units) if units else "0"

    # --- parsing -------------------------------------------------------------------------------
    def parse_price(self, text: str) -> int:
        """`MarketUnits.parse_price`."""
        ticks = _steps(text, self.tick_mantissa, self._tick.scale)
        if ticks is not None and ticks <= self.units.market.max_price_ticks:
            return ticks
        return self.units.parse_price(text)

    def parse_size(self, text: str) -> int:
        """`MarketUnits.parse_size` (a base amount in lots, within the market's min and max)."""
        lots = _steps(text, self.lot_mantissa, self._lot.scale)
        market = self.units.market
        if lots is not None and market.min_size_lots <= lots <= market.max_size_lots:
            return lots
        return self.units.parse_size(text)


def _steps(text: str, mantissa: int, scale: int) -> int | None:
    """How many steps of `mantissa * 10**-scale` make the plain decimal `text`, if that is a
    positive whole number of them; None for anything else (the caller asks `MarketUnits`)."""
    if not text or len(text) > MAX_DECIMAL_DIGITS:
        return None
    whole, _, fraction = text.partition(".")
    if not (whole.isascii() and whole.isdigit()):
        return None
    if fraction and not (fraction.isascii() and fraction.isdigit()):
        return None
    value = int(whole + fraction)  # in units of 10**-len(fraction)
    shift = scale - len(fraction)
    if shift >= 0:
        value *= 10**shift
        divisor = mantissa
    else:
        divisor = mantissa * 10**-shift
    steps, rest = divmod(value, divisor)
    if rest or steps <= 0:
        return None
    return steps


_cache: dict[MarketUnits, MarketNumbers] = {}


def numbers_of(units: MarketUnits) -> MarketNumbers:
    """The integer conversions of a market (built once per `MarketUnits`)."""
    numbers = _cache.get(units)
    if numbers is None:
        if len(_cache) >= MAX_CACHED_MARKETS:
            _cache.clear()
        numbers = _cache[units] = MarketNumbers(units)
    return numbers
