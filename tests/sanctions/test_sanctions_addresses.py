"""Crypto-address lists, chain-aware normalisation, exact matching and rescreening."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from sanctions_data import data_dir

from clearhouse.core.compliance.addresses import (
    AddressFormat,
    AddressScreener,
    normalize_address,
)
from clearhouse.core.compliance.rescreening import (
    ListVersionScreeners,
    Subject,
    SubjectKind,
    rescreen,
)
from clearhouse.core.compliance.sanctions_list import AddressList
from clearhouse.core.compliance.screening import Decision
from clearhouse.sanctions import ListFormatError, load_ofac_crypto_addresses

TORNADO_ROUTER = "0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b"


@cache
def crypto(date: str) -> AddressList:
    return load_ofac_crypto_addresses(data_dir() / f"ofac_crypto_addresses_{date}")


@cache
def screener(date: str) -> AddressScreener:
    return AddressScreener(address_lists=[crypto(date)])


def test_crypto_lists_load_every_address_per_ticker() -> None:
    for date, eth in (("2024-09-27", 152), ("2025-11-19", 77)):
        lst = crypto(date)
        assert sum(a.chain == "ETH" for a in lst.addresses) == eth
        folder = data_dir() / f"ofac_crypto_addresses_{date}"
        total = sum(len(json.loads(p.read_text())) for p in folder.glob("*.json"))
        assert len(lst.addresses) == total
    assert {"BNB", "SOL"} <= {a.chain for a in crypto("2025-11-19").addresses}


def test_json_and_txt_that_disagree_are_an_error(tmp_path: Path) -> None:
    (tmp_path / "sanctioned_addresses_ETH.json").write_text('["0x01", "0x02"]')
    (tmp_path / "sanctioned_addresses_ETH.txt").write_text("0x01\n")
    with pytest.raises(ListFormatError, match=r"sanctioned_addresses_ETH\.txt:file: differs"):
        load_ofac_crypto_addresses(tmp_path)


def test_a_line_that_is_not_an_address_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "sanctioned_addresses_XBT.txt").write_text("1abc\n1ab c\n")
    with pytest.raises(ListFormatError, match=r"sanctioned_addresses_XBT\.txt:line 2"):
        load_ofac_crypto_addresses(tmp_path)


@pytest.mark.parametrize(
    ("raw", "fmt", "key"),
    [
        # EVM: EIP-55 checksum case, all caps, all lower, padded: one key.
        (TORNADO_ROUTER, AddressFormat.EVM, TORNADO_ROUTER.lower()),
        ("0x" + TORNADO_ROUTER[2:].upper(), AddressFormat.EVM, TORNADO_ROUTER.lower()),
        (f"  {TORNADO_ROUTER}\n", AddressFormat.EVM, TORNADO_ROUTER.lower()),
        # bech32 is case-insensitive: lower-cased.
        (
            "BC1QDT3GML5Z5N50Y5HM04U2YJDPHEFKM0FL2ZDJ68",
            AddressFormat.BECH32,
            "bc1qdt3gml5z5n50y5hm04u2yjdphefkm0fl2zdj68",
        ),
        (
            "bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf23",
            AddressFormat.BECH32,
            "bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf23",
        ),
        # BCH cashaddr: prefix dropped, lower-cased.
        (
            "bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq",
            AddressFormat.CASHADDR,
            "qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq",
        ),
        # base58 keeps its case: changing it is a different address.
        (
            "1B64QRxfaa35MVkf7sDjuGUYAP5izQt7Qi",
            AddressFormat.BASE58,
            "1B64QRxfaa35MVkf7sDjuGUYAP5izQt7Qi",
        ),
        (
            "TAYhjpL8pPs8T84FSM329nffQpc6jD8GBM",
            AddressFormat.BASE58,
            "TAYhjpL8pPs8T84FSM329nffQpc6jD8GBM",
        ),
        (
            "42RLPACwZPx3vYYmxSueqsogfynBDqXK298EDsNoyoHi",
            AddressFormat.BASE58,
            "42RLPACwZPx3vYYmxSueqsogfynBDqXK298EDsNoyoHi",
        ),
    ],
)
def test_address_normalisation_per_format(raw: str, fmt: AddressFormat, key: str) -> None:
    assert normalize_address(raw).format is fmt
    assert normalize_address(raw).value == key


def test_base58_case_change_is_not_a_hit() -> None:
    s = screener("2025-11-19")
    assert s.screen("TRX", "TAYhjpL8pPs8T84FSM329nffQpc6jD8GBM").decision is Decision.BLOCK
    assert s.screen("TRX", "tayhjpl8pps8t84fsm329nffqpc6jd8gbm").decision is Decision.CLEAR


def test_tornado_cash_is_blocked_on_the_2024_list_and_not_on_the_2025_list() -> None:
    old = screener("2024-09-27").screen("ETH", TORNADO_ROUTER.lower())
    new = screener("2025-11-19").screen("ETH", TORNADO_ROUTER)
    assert old.decision is Decision.BLOCK and old.reason == "listed"
    assert old.hits[0].listed_address == TORNADO_ROUTER
    assert old.list_version == crypto("2024-09-27").version
    assert new.decision is Decision.CLEAR and new.reason == "not_listed"
    assert new.list_version != old.list_version


def test_a_listed_evm_address_is_a_hit_on_every_evm_chain() -> None:
    res = screener("2024-09-27").screen("arb", TORNADO_ROUTER.upper().replace("0X", "0x"))
    assert res.decision is Decision.BLOCK and res.hits[0].listed_chain == "ETH"


def test_unknown_chain_is_never_clear_but_a_listed_address_still_blocks() -> None:
    s = screener("2025-11-19")
    miss = s.screen("FOOCOIN", "0x0000000000000000000000000000000000000001")
    assert (miss.decision, miss.reason) == (Decision.REVIEW, "unknown_chain")
    hit = s.screen("FOOCOIN", "TAYhjpL8pPs8T84FSM329nffQpc6jD8GBM")
    assert hit.decision is Decision.BLOCK


def test_an_address_in_the_wrong_format_for_its_chain_goes_to_review() -> None:
    s = screener("2025-11-19")
    res = s.screen("ETH", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT")
    assert (res.decision, res.reason) == (Decision.REVIEW, "unrecognised_format")
    res = s.screen("XBT", "0x0000000000000000000000000000000000000001")
    assert (res.decision, res.reason) == (Decision.REVIEW, "unrecognised_format")


def test_blank_address_is_rejected() -> None:
    with pytest.raises(ValueError, match="not an address"):
        normalize_address("   ")


def test_rescreening_reports_tornado_cash_hits_lifted_by_the_delisting() -> None:
    still_listed = crypto("2025-11-19").addresses[0]
    subjects = [
        Subject("wallet-tc", SubjectKind.ADDRESS, TORNADO_ROUTER, "ETH"),
        Subject("wallet-kept", SubjectKind.ADDRESS, still_listed.address, still_listed.chain),
        Subject("wallet-clean", SubjectKind.ADDRESS, "0x" + "12" * 20, "ETH"),
    ]
    old = ListVersionScreeners(names=None, addresses=screener("2024-09-27"))
    new = ListVersionScreeners(names=None, addresses=screener("2025-11-19"))
    report = rescreen(subjects, old, new)
    assert [c.subject.subject_id for c in report.lost] == ["wallet-tc"]
    (lifted,) = report.lost
    assert (lifted.old_decision, lifted.new_decision) == (Decision.BLOCK, Decision.CLEAR)
    assert lifted.lost == (f"address:{TORNADO_ROUTER.lower()}",)
    assert report.unchanged == 2
    back = rescreen(subjects, new, old)  # relisting is a gain
    assert [c.subject.subject_id for c in back.gained] == ["wallet-tc"]
    assert back.lost == ()
