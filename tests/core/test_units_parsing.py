"""Money is integers: decimal strings are parsed exactly at the edge, or refused with Gate's label.
Never rounded, never a float, never an exception other than `Rejected`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearhouse.core.errors import (
    AMOUNT_TOO_LITTLE,
    AMOUNT_TOO_MUCH,
    INVALID_PARAM_VALUE,
    INVALID_PRECISION,
    Rejected,
)
from clearhouse.core.units import (
    MAX_DECIMAL_DIGITS,
    MAX_SCALE,
    PPM,
    Asset,
    MarketUnits,
    SpotMarket,
    fee_units,
    format_units,
    parse_decimal,
    to_units,
)

FAST = settings(max_examples=200, deadline=None, derandomize=True, database=None)


def btc_usdt() -> MarketUnits:
    spec = SpotMarket("BTC_USDT", "BTC", "USDT", "0.01", "0.00001", 1, 100_000_000, 3 * 10**8)
    return MarketUnits(spec, Asset("BTC", 8), Asset("USDT", 8))


def label_of(call: object) -> str:
    assert callable(call)
    with pytest.raises(Rejected) as refused:
        call()
    return refused.value.label


# --- what is not a plain decimal ---------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        "inf",
        "1e5",
        "1E5",
        "1e-5",
        "+1",
        "-1",
        "-0.5",
        "",
        " ",
        " 1",
        "1 ",
        "1\n",
        ".",
        "1.2.3",
        "1,5",
        "1_000",
        "0x10",
        "\uff11",  # a full-width digit one
        "\u0663",  # an Arabic-Indic digit three
    ],
)
def test_anything_but_digits_and_one_point_is_invalid_param_value(text: str) -> None:
    assert label_of(lambda: parse_decimal(text, "amount")) == INVALID_PARAM_VALUE


def test_a_non_string_amount_is_invalid_param_value() -> None:
    assert label_of(lambda: parse_decimal(1, "amount")) == INVALID_PARAM_VALUE  # type: ignore[arg-type]
    assert label_of(lambda: parse_decimal(None, "amount")) == INVALID_PARAM_VALUE  # type: ignore[arg-type]


def test_over_long_strings_are_refused_before_parsing() -> None:
    assert label_of(lambda: parse_decimal("1" * (MAX_DECIMAL_DIGITS + 1), "amount")) == (
        INVALID_PARAM_VALUE
    )
    assert parse_decimal("1" * MAX_DECIMAL_DIGITS, "amount") == Decimal("1" * MAX_DECIMAL_DIGITS)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", "1"), ("1.5", "1.5"), (".5", "0.5"), ("1.", "1"), ("007", "7"), ("0.10", "0.1")],
)
def test_plain_decimals_parse_exactly(text: str, value: str) -> None:
    assert parse_decimal(text, "amount") == Decimal(value)


# --- amounts in units --------------------------------------------------------------------------
def test_an_amount_becomes_integer_units_of_its_asset() -> None:
    assert to_units("1.23456789", 8) == 123_456_789
    assert to_units("1", 0) == 1
    assert to_units("0.00000001", 8) == 1


def test_more_decimals_than_the_asset_has_is_invalid_precision() -> None:
    assert label_of(lambda: to_units("1.000000001", 8)) == INVALID_PRECISION
    assert label_of(lambda: to_units("0.5", 0)) == INVALID_PRECISION


def test_trailing_zeros_beyond_the_scale_are_exact_and_accepted() -> None:
    assert to_units("1.1000000000", 8) == 110_000_000


@pytest.mark.parametrize("text", ["0", "0.0", "0.00000000", "000"])
def test_zero_is_invalid_param_value(text: str) -> None:
    assert label_of(lambda: to_units(text, 8)) == INVALID_PARAM_VALUE


def test_the_longest_accepted_amount_parses_exactly_without_crashing() -> None:
    # 40 significant digits is more than Decimal's default 28-digit context: must stay exact
    text = "9" * MAX_DECIMAL_DIGITS
    assert to_units(text, 8) == int(text) * 10**8
    assert to_units("9" * 30 + ".12345678", 8) == int("9" * 30 + "12345678")
    assert to_units("1" * 21 + ".5", MAX_SCALE) == int("1" * 21 + "5") * 10 ** (MAX_SCALE - 1)


def test_a_huge_size_is_amount_too_much_not_a_crash() -> None:
    units = btc_usdt()
    assert label_of(lambda: units.parse_size("9" * MAX_DECIMAL_DIGITS)) == AMOUNT_TOO_MUCH


# --- market prices and sizes -------------------------------------------------------------------
def test_prices_are_whole_ticks_and_sizes_whole_lots() -> None:
    units = btc_usdt()
    assert units.parse_price("60000.01") == 6_000_001
    assert units.parse_size("0.5") == 50_000
    assert units.base_units_per_lot == 1_000  # 0.00001 BTC at scale 8
    assert units.quote_units_per_tick_lot == 10  # 0.01 x 0.00001 = 1e-7 USDT at scale 8


def test_a_price_off_the_tick_is_invalid_precision() -> None:
    assert label_of(lambda: btc_usdt().parse_price("60000.001")) == INVALID_PRECISION


def test_a_size_off_the_lot_is_invalid_precision() -> None:
    assert label_of(lambda: btc_usdt().parse_size("0.000001")) == INVALID_PRECISION


def test_a_zero_or_negative_price_is_invalid_param_value() -> None:
    units = btc_usdt()
    assert label_of(lambda: units.parse_price("0")) == INVALID_PARAM_VALUE
    assert label_of(lambda: units.parse_price("-1")) == INVALID_PARAM_VALUE


def test_a_price_above_the_market_maximum_is_invalid_param_value() -> None:
    assert label_of(lambda: btc_usdt().parse_price("10000000000000.01")) == INVALID_PARAM_VALUE


def test_sizes_outside_the_market_limits_are_too_little_or_too_much() -> None:
    spec = SpotMarket("BTC_USDT", "BTC", "USDT", "0.01", "0.00001", 10, 1_000, 0)
    units = MarketUnits(spec, Asset("BTC", 8), Asset("USDT", 8))
    assert label_of(lambda: units.parse_size("0.00009")) == AMOUNT_TOO_LITTLE
    assert units.parse_size("0.0001") == 10
    assert units.parse_size("0.01") == 1_000
    assert label_of(lambda: units.parse_size("0.01001")) == AMOUNT_TOO_MUCH


def test_a_market_buy_below_the_minimum_order_value_is_amount_too_little() -> None:
    units = btc_usdt()
    assert units.parse_quote_amount("3") == 3 * 10**8
    assert label_of(lambda: units.parse_quote_amount("2.99999999")) == AMOUNT_TOO_LITTLE


# --- formatting and round trips ----------------------------------------------------------------
def test_units_format_as_plain_decimals_without_exponent_or_trailing_zeros() -> None:
    assert format_units(123_456_789, 8) == "1.23456789"
    assert format_units(100_000_000, 8) == "1"
    assert format_units(150_000_000, 8) == "1.5"
    assert format_units(1, 8) == "0.00000001"
    assert format_units(0, 8) == "0"
    assert format_units(-150_000_000, 8) == "-1.5"
    assert format_units(10**30, 0) == "1" + "0" * 30


def test_market_prices_and_sizes_format_without_exponent() -> None:
    units = btc_usdt()
    assert units.format_price(6_000_001) == "60000.01"
    assert units.format_price(100) == "1"
    assert units.format_size(1) == "0.00001"
    assert units.format_size(100_000) == "1"
    assert units.format_base(1_000) == "0.00001"
    assert units.format_quote(10) == "0.0000001"


@FAST
@given(units=st.integers(1, 10**30), scale=st.integers(0, MAX_SCALE))
def test_formatting_then_parsing_units_round_trips(units: int, scale: int) -> None:
    text = format_units(units, scale)
    assert "e" not in text.lower()
    assert to_units(text, scale) == units


@FAST
@given(ticks=st.integers(1, 10**15), lots=st.integers(1, 100_000_000))
def test_formatting_then_parsing_prices_and_sizes_round_trips(ticks: int, lots: int) -> None:
    units = btc_usdt()
    assert units.parse_price(units.format_price(ticks)) == ticks
    assert units.parse_size(units.format_size(lots)) == lots


# --- fees --------------------------------------------------------------------------------------
def test_fees_round_up_in_the_venues_favour() -> None:
    assert fee_units(1_000, 2_000) == 2  # exactly 2
    assert fee_units(1_001, 2_000) == 3  # 2.002 rounds up
    assert fee_units(1, 2_000) == 1  # a dust trade still pays one unit
    assert fee_units(0, 2_000) == 0
    assert fee_units(1_000, 0) == 0


def test_maker_rebates_round_down_in_the_venues_favour() -> None:
    assert fee_units(3_000, -500) == -1  # 1.5 rebated as 1
    assert fee_units(1_999, -500) == 0  # 0.9995 rebated as nothing
    assert fee_units(4_000, -500) == -2


@FAST
@given(amount=st.integers(0, 10**24), rate=st.integers(-100_000, 100_000))
def test_a_fee_never_favours_the_user_by_even_one_unit(amount: int, rate: int) -> None:
    charged = fee_units(amount, rate)
    exact_times_ppm = amount * rate
    assert charged * PPM >= exact_times_ppm  # never less than the exact fee
    assert (charged - 1) * PPM < exact_times_ppm or charged == 0 or rate < 0
    if rate < 0:
        assert exact_times_ppm <= charged * PPM < exact_times_ppm + PPM  # rebate floors
