"""OFAC legacy CSV loader: the format's quirks and its failure modes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sanctions_data import data_dir, sdn_2024_with_aliases

from clearhouse.core.compliance.sanctions_list import AliasStrength, EntityType, WalletAddress
from clearhouse.sanctions import ListFormatError, OrphanPolicy, load_ofac_legacy_csv
from clearhouse.sanctions.ofac_csv import load_ofac_legacy_csv_dir

ROW = '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
PERSON = (
    '7,"SALEK, Abdulhai","individual","SDGT] [IFSR",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    "\"DOB 1965; a.k.a. 'ABU SALEK'; Digital Currency Address - XBT 1AbC9xyz; "
    'alt. Digital Currency Address - ETH 0xAbCdEf0000000000000000000000000000000001."\r\n'
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def records(path: Path) -> list[list[str]]:
    """Independent count: the csv module over the file minus its Ctrl-Z byte."""
    text = path.read_bytes().rstrip(b"\x1a").decode("utf-8")
    return [r for r in csv.reader(io.StringIO(text, newline="")) if r]


def test_2021_set_loads_every_row_of_every_file() -> None:
    d = data_dir() / "ofac_sdn_csv_2021"
    lst = load_ofac_legacy_csv_dir(d)
    assert len(lst.entries) == len(records(d / "sdn.csv")) == 8976
    strong = [a for e in lst.entries for a in e.aliases if a.strength is AliasStrength.STRONG]
    assert len(strong) == len(records(d / "alt.csv")) == 11910
    assert lst.notes == ()  # internally consistent set: no orphans
    assert {e.entity_type for e in lst.entries} == set(EntityType)


def test_2024_sdn_has_14965_entries_and_its_crypto_addresses() -> None:
    d = data_dir() / "ofac_sdn_csv_2024-05-03"
    lst = load_ofac_legacy_csv(d / "sdn.csv")
    assert len(lst.entries) == len(records(d / "sdn.csv")) == 14965
    rows = records(d / "sdn.csv")
    cut_ids = {f"OFAC-SDN:{r[0]}" for r in rows if len(r[11]) >= 1000}
    assert len(cut_ids) == 18
    complete = sum(r[11].count("Digital Currency Address - ") for r in rows if len(r[11]) < 1000)
    in_cut = sum(len(e.wallets) for e in lst.entries if e.entry_id in cut_ids)
    assert sum(len(e.wallets) for e in lst.entries) == complete + in_cut
    # Only sdn.csv was captured for 2024: the loader says what the missing overflow cost.
    (note,) = lst.notes
    assert "Remarks of 18 entries are cut at 1000 characters" in note


def test_a_remark_cut_mid_address_loses_only_the_partial_address(tmp_path: Path) -> None:
    head = '9,"X",-0- ,"CYBER2",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"'
    body = "Digital Currency Address - XBT 1FullAddr; alt. Digital Currency Address - XBT 1Par"
    remark = ("x" * (1000 - len(body))) + body
    path = write(tmp_path, "sdn.csv", (head + remark + '"\r\n').encode())
    (entry,) = load_ofac_legacy_csv(path).entries
    assert entry.wallets == (WalletAddress("XBT", "1FullAddr"),)
    comments = write(tmp_path, "sdn_comments.csv", b'9,"tial9"\r\n')
    (entry,) = load_ofac_legacy_csv(path, comments_path=comments).entries
    assert entry.wallets[-1] == WalletAddress("XBT", "1Partial9")


def test_files_ending_in_ctrl_z_load_and_the_byte_is_not_a_record(tmp_path: Path) -> None:
    path = write(tmp_path, "sdn.csv", (ROW + PERSON).encode() + b"\x1a")
    lst = load_ofac_legacy_csv(path)
    assert [e.entry_id for e in lst.entries] == ["OFAC-SDN:36", "OFAC-SDN:7"]
    real = data_dir() / "ofac_sdn_csv_2021" / "sdn.csv"
    assert real.read_bytes().endswith(b"\x1a")


def test_data_after_ctrl_z_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "sdn.csv", ROW.encode() + b"\x1a" + ROW.encode())
    with pytest.raises(ListFormatError, match=r"sdn\.csv:line 2: data after the Ctrl-Z"):
        load_ofac_legacy_csv(path)


def test_null_marker_means_empty_and_an_empty_type_is_an_entity(tmp_path: Path) -> None:
    lst = load_ofac_legacy_csv(write(tmp_path, "sdn.csv", ROW.encode()))
    (entry,) = lst.entries
    assert entry.entity_type is EntityType.ENTITY
    assert entry.programs == ("CUBA",)
    assert entry.aliases == () and entry.wallets == ()


def test_remarks_give_weak_aliases_wallets_and_programs_split(tmp_path: Path) -> None:
    (entry,) = load_ofac_legacy_csv(write(tmp_path, "sdn.csv", PERSON.encode())).entries
    assert entry.entity_type is EntityType.INDIVIDUAL
    assert entry.programs == ("SDGT", "IFSR")
    assert [(a.name, a.strength) for a in entry.aliases] == [("ABU SALEK", AliasStrength.WEAK)]
    assert entry.wallets == (
        WalletAddress("XBT", "1AbC9xyz"),
        WalletAddress("ETH", "0xAbCdEf0000000000000000000000000000000001"),
    )


def test_remarks_overflow_in_comments_is_appended_before_parsing() -> None:
    # SUEX (ent 33151): sdn.csv cuts its Remarks mid-address; sdn_comments.csv continues it.
    lst = load_ofac_legacy_csv_dir(
        data_dir() / "ofac_sdn_csv_tiny_2025", on_orphan=OrphanPolicy.DROP
    )
    suex = lst.entry("OFAC-SDN:33151")
    addresses = {w.address for w in suex.wallets}
    assert "1B64QRxfaa35MVkf7sDjuGUYAP5izQt7Qi" in addresses
    assert WalletAddress("USDT", "0x2f389ce8bd8ff92de3402ffce4691d17fc4f6535") in suex.wallets
    assert len(lst.entries) == 17


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (ROW.replace("-0- ,-0- \r\n", "-0- \r\n"), r"sdn\.csv:line 1: expected 12 fields, got 11"),
        (ROW.replace("36,", "3x6,"), r"sdn\.csv:line 1: ent_num must be an integer"),
        (
            ROW.replace('"CUBA",-0-', '"CUBA",-0-').replace(',-0- ,"CUBA', ',"ship","CUBA'),
            r"sdn\.csv:line 1: unknown SDN_Type 'ship'",
        ),
        (ROW + ROW, r"sdn\.csv:line 2: duplicate ent_num 36"),
        (ROW + '37,"X",-0- ,"CUBA,-0- \r\n', r"sdn\.csv:line \d+: "),
    ],
)
def test_malformed_sdn_rows_name_file_and_line(tmp_path: Path, data: str, message: str) -> None:
    with pytest.raises(ListFormatError, match=message):
        load_ofac_legacy_csv(write(tmp_path, "sdn.csv", data.encode()))


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "sdn.csv", ROW.encode() + b'37,"CAF\xe9",-0- ,"CUBA"\r\n')
    with pytest.raises(ListFormatError, match=r"line 2: not valid UTF-8"):
        load_ofac_legacy_csv(path)


def test_unknown_alias_type_names_alt_file_and_line(tmp_path: Path) -> None:
    sdn = write(tmp_path, "sdn.csv", ROW.encode())
    alt = write(tmp_path, "alt.csv", b'36,1,"aka","AERO-CARIBBEAN",-0- \r\n36,2,"xyz","X",-0- \r\n')
    with pytest.raises(ListFormatError, match=r"alt\.csv:line 2: unknown alt_type 'xyz'"):
        load_ofac_legacy_csv(sdn, alt_path=alt)


def test_orphan_rows_are_an_error_by_default_and_counted_when_dropped() -> None:
    d = data_dir() / "ofac_sdn_csv_tiny_2025"
    with pytest.raises(ListFormatError, match=r"is not in sdn\.csv"):
        load_ofac_legacy_csv_dir(d)
    lst = load_ofac_legacy_csv_dir(d, on_orphan=OrphanPolicy.DROP)
    listed = {r[0] for r in records(d / "sdn.csv")}
    alt_orphans = sum(1 for r in records(d / "alt.csv") if r[0] not in listed)
    add_orphans = sum(1 for r in records(d / "add.csv") if r[0] not in listed)
    assert (alt_orphans, add_orphans) == (5, 4)
    assert lst.notes == (
        f"add.csv: dropped {add_orphans} rows whose ent_num is not in sdn.csv",
        f"alt.csv: dropped {alt_orphans} rows whose ent_num is not in sdn.csv",
    )


def test_version_is_a_content_hash_of_the_files(tmp_path: Path) -> None:
    a = load_ofac_legacy_csv(write(tmp_path, "sdn.csv", ROW.encode()))
    b = load_ofac_legacy_csv(write(tmp_path, "sdn.csv", ROW.encode()))
    c = load_ofac_legacy_csv(write(tmp_path, "sdn.csv", ROW.replace("CUBA", "IRAN").encode()))
    assert a.version == b.version != c.version
    assert len(a.version) == 64


def test_2024_list_with_2021_aliases_reports_the_aliases_it_could_not_attach() -> None:
    lst = sdn_2024_with_aliases()
    assert len(lst.entries) == 14965
    assert lst.notes[0].startswith("alt.csv: dropped ")
