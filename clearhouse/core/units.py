"""Assets, markets and exact fixed-point conversion between wire decimals and integer units.

Inside the engine every amount is an `int`: asset amounts in *units* (10**-scale of the asset),
prices in *ticks* of the market and sizes in *lots*. Decimal strings exist only at the edge and
are parsed here exactly: a string that cannot be represented exactly is refused, never rounded.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext

import msgspec

from clearhouse.core.errors import (
    AMOUNT_TOO_LITTLE,
    AMOUNT_TOO_MUCH,
    INVALID_PARAM_VALUE,
    INVALID_PRECISION,
    Rejected,
)

MAX_SCALE = 18
MAX_DECIMAL_DIGITS = 40  # longer strings are refused before Decimal sees them (DoS bound)
_EXACT_DIGITS = 3 * MAX_DECIMAL_DIGITS  # enough for any bounded value / step quotient, exactly
PPM = 1_000_000  # fee rates are parts per million

_ALLOWED_CHARS = frozenset("0123456789.")


class Asset(msgspec.Struct, frozen=True, array_like=True):
    code: str
    scale: int  # units per whole asset = 10**scale
    precision_display: int = 8


class FeeRate(msgspec.Struct, frozen=True, array_like=True):
    maker_ppm: int  # may be negative: a maker rebate
    taker_ppm: int


class SpotMarket(msgspec.Struct, frozen=True, array_like=True):
    """A spot pair. Ticks and lots are decimal strings in the config, ints everywhere else."""

    name: str  # Gate id, e.g. "BTC_USDT"
    base: str
    quote: str
    tick_size: str  # price increment, e.g. "0.01"
    lot_size: str  # amount increment in base, e.g. "0.00001"
    min_size_lots: int
    max_size_lots: int
    min_notional_units: int  # in quote units
    fees: tuple[FeeRate, ...] = (FeeRate(1000, 2000),)  # index = account fee tier
    max_open_orders_per_account: int = 1_000
    max_price_ticks: int = 10**15
    trading_enabled: bool = True


def parse_decimal(text: str, field: str) -> Decimal:
    """Parse a plain decimal string: digits and at most one point, nothing else.

    Refuses NaN, Infinity, exponents, signs, blanks and over-long input with INVALID_PARAM_VALUE.
    """
    if not isinstance(text, str) or not text or len(text) > MAX_DECIMAL_DIGITS:
        raise Rejected(INVALID_PARAM_VALUE, f"{field} must be a decimal string")
    if not _ALLOWED_CHARS.issuperset(text) or text.count(".") > 1 or text in (".",):
        raise Rejected(INVALID_PARAM_VALUE, f"{field} {text!r} is not a plain decimal number")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the character filter catches these
        raise Rejected(INVALID_PARAM_VALUE, f"{field} {text!r} is not a number") from exc
    return value


def decimal_to_multiple(value: Decimal, step: Decimal, field: str) -> int:
    """How many `step`s make `value`, refusing a remainder (INVALID_PRECISION)."""
    with localcontext(prec=_EXACT_DIGITS):  # the default 28 digits raise DivisionImpossible
        count, rest = divmod(value, step)
    if rest != 0:
        raise Rejected(INVALID_PRECISION, f"{field} {value} is not a multiple of {step}")
    return int(count)


def parse_positive_multiple(text: str, step: Decimal, field: str) -> int:
    value = parse_decimal(text, field)
    if value <= 0:
        raise Rejected(INVALID_PARAM_VALUE, f"{field} must be greater than zero")
    return decimal_to_multiple(value, step, field)


def to_units(text: str, scale: int, field: str = "amount") -> int:
    """Parse a positive asset amount into integer units of an asset with `scale` decimals."""
    return parse_positive_multiple(text, Decimal(1).scaleb(-scale), field)


def format_units(units: int, scale: int) -> str:
    """Integer units to the plain decimal string Gate uses (no exponent, no trailing zeros)."""
    sign = "-" if units < 0 else ""
    units = abs(units)
    if scale == 0:
        return f"{sign}{units}"
    whole, frac = divmod(units, 10**scale)
    frac_text = f"{frac:0{scale}d}".rstrip("0")
    return f"{sign}{whole}.{frac_text}" if frac_text else f"{sign}{whole}"


class MarketUnits:
    """Conversions for one spot market, precomputed once when the market is listed."""

    __slots__ = (
        "market",
        "tick",
        "lot",
        "base_units_per_lot",
        "quote_units_per_tick_lot",
        "base_scale",
        "quote_scale",
        "price_decimals",
        "amount_decimals",
    )

    def __init__(self, market: SpotMarket, base: Asset, quote: Asset) -> None:
        self.market = market
        self.tick = parse_decimal(market.tick_size, "tick_size")  # NaN or "abc" must not crash
        self.lot = parse_decimal(market.lot_size, "lot_size")
        if self.tick <= 0 or self.lot <= 0:
            raise Rejected(INVALID_PARAM_VALUE, "tick_size and lot_size must be positive")
        base_per_lot = self.lot.scaleb(base.scale)
        quote_per_tick_lot = (self.tick * self.lot).scaleb(quote.scale)
        # Exactness is a listing rule: a trade's base and quote amounts must be whole units, so the
        # asset scales must be fine enough for the market's lot and tick.
        if base_per_lot != base_per_lot.to_integral_value():
            raise Rejected(INVALID_PARAM_VALUE, f"lot {self.lot} finer than {base.code} scale")
        if quote_per_tick_lot != quote_per_tick_lot.to_integral_value():
            raise Rejected(INVALID_PARAM_VALUE, f"tick x lot finer than {quote.code} scale")
        self.base_units_per_lot = int(base_per_lot)
        self.quote_units_per_tick_lot = int(quote_per_tick_lot)
        self.base_scale = base.scale
        self.quote_scale = quote.scale
        self.price_decimals = max(0, -self.tick.normalize().as_tuple().exponent)  # type: ignore[operator]
        self.amount_decimals = max(0, -self.lot.normalize().as_tuple().exponent)  # type: ignore[operator]

    # --- parsing at the edge -------------------------------------------------------------------
    def parse_price(self, text: str) -> int:
        ticks = parse_positive_multiple(text, self.tick, "price")
        if ticks > self.market.max_price_ticks:
            raise Rejected(INVALID_PARAM_VALUE, f"price {text} above the market maximum")
        return ticks

    def parse_size(self, text: str) -> int:
        """A base amount in lots, checked against the market's min and max size."""
        lots = parse_positive_multiple(text, self.lot, "amount")
        self.check_size(lots)
        return lots

    def parse_quote_amount(self, text: str) -> int:
        """A quote amount (market buys) in quote units."""
        units = to_units(text, self.quote_scale, "amount")
        if units < self.market.min_notional_units:
            raise Rejected(AMOUNT_TOO_LITTLE, f"amount {text} below minimum order value")
        return units

    def check_size(self, lots: int) -> None:
        if lots < self.market.min_size_lots:
            raise Rejected(
                AMOUNT_TOO_LITTLE,
                f"amount below minimum {self.format_size(self.market.min_size_lots)}",
            )
        if lots > self.market.max_size_lots:
            raise Rejected(
                AMOUNT_TOO_MUCH,
                f"amount above maximum {self.format_size(self.market.max_size_lots)}",
            )

    # --- formatting at the edge ----------------------------------------------------------------
    def format_price(self, ticks: int) -> str:
        return _format_decimal(self.tick * ticks)

    def format_size(self, lots: int) -> str:
        return _format_decimal(self.lot * lots)

    def format_base(self, units: int) -> str:
        return format_units(units, self.base_scale)

    def format_quote(self, units: int) -> str:
        return format_units(units, self.quote_scale)

    # --- arithmetic inside ---------------------------------------------------------------------
    def notional_units(self, price_ticks: int, size_lots: int) -> int:
        return price_ticks * size_lots * self.quote_units_per_tick_lot

    def base_units(self, size_lots: int) -> int:
        return size_lots * self.base_units_per_lot


def _format_decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def fee_units(amount_units: int, rate_ppm: int) -> int:
    """Fee on an amount, rounded in the venue's favour: charges up, rebates down."""
    if rate_ppm >= 0:
        return -((-amount_units * rate_ppm) // PPM)
    return -((amount_units * -rate_ppm) // PPM)
