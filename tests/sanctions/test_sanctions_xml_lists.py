"""UN consolidated XML and OFAC advanced XML loaders."""

from __future__ import annotations

import bz2
import csv
from functools import cache
from pathlib import Path

import pytest
from sanctions_data import data_dir, un_list

from clearhouse.core.compliance.sanctions_list import (
    AliasStrength,
    EntityType,
    SanctionsList,
    sha256_hex,
)
from clearhouse.sanctions import ListFormatError, load_ofac_advanced_xml, load_un_consolidated_xml
from clearhouse.sanctions.ofac_advanced import read_checksum_file

UN_MINI = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00Z"><INDIVIDUALS>
<INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>ERIC</FIRST_NAME><SECOND_NAME>BADEGE</SECOND_NAME>
<UN_LIST_TYPE>DRC</UN_LIST_TYPE>
<INDIVIDUAL_ALIAS><QUALITY>{quality}</QUALITY><ALIAS_NAME>E. BADEGE; ERIK BADEGE</ALIAS_NAME>
</INDIVIDUAL_ALIAS><INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
</INDIVIDUAL></INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>"""


def test_un_list_has_730_individuals_and_273_entities() -> None:
    lst = un_list()
    types = [e.entity_type for e in lst.entries]
    assert types.count(EntityType.INDIVIDUAL) == 730
    assert types.count(EntityType.ENTITY) == 273
    assert lst.published == "2026-02-27T00:00:09.554Z"
    path = data_dir() / "un_consolidated_2026-02" / "UN_consolidated.xml"
    assert lst.version == sha256_hex(path.read_bytes())
    strengths = {a.strength for e in lst.entries for a in e.aliases}
    assert strengths == {AliasStrength.STRONG, AliasStrength.WEAK}
    assert any(a.kind == "original_script" for e in lst.entries for a in e.aliases)


def test_un_alias_quality_maps_to_strength_and_split_spellings(tmp_path: Path) -> None:
    path = tmp_path / "un.xml"
    path.write_text(UN_MINI.format(quality="Low"), encoding="utf-8")
    (entry,) = load_un_consolidated_xml(path).entries
    assert entry.entry_id == "UN:1" and entry.primary_name == "ERIC BADEGE"
    assert [(a.name, a.strength) for a in entry.aliases] == [
        ("E. BADEGE", AliasStrength.WEAK),
        ("ERIK BADEGE", AliasStrength.WEAK),
    ]
    assert entry.programs == ("DRC",)


def test_un_unknown_alias_quality_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "un.xml"
    path.write_text(UN_MINI.format(quality="Medium"), encoding="utf-8")
    with pytest.raises(ListFormatError, match=r"un\.xml:INDIVIDUAL DATAID=1: unknown alias"):
        load_un_consolidated_xml(path)


def test_un_malformed_xml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "un.xml"
    path.write_text(UN_MINI.format(quality="Good").replace("</INDIVIDUALS>", ""), "utf-8")
    with pytest.raises(ListFormatError, match=r"un\.xml:line \d+: malformed XML"):
        load_un_consolidated_xml(path)


def test_un_loader_refuses_a_dtd(tmp_path: Path) -> None:
    path = tmp_path / "un.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', "utf-8")
    with pytest.raises(ListFormatError, match="DTD"):
        load_un_consolidated_xml(path)


@cache
def advanced() -> SanctionsList:
    d = data_dir() / "ofac_sdn_advanced_2025-11-19"
    return load_ofac_advanced_xml(
        d / "sdn_advanced.xml.bz2",
        expected_sha256=read_checksum_file(d / "sdn_advanced_checksum.txt"),
    )


def test_advanced_xml_has_18367_parties_and_the_published_checksum_as_version() -> None:
    lst = advanced()
    assert len(lst.entries) == 18367
    assert lst.published == "2025-11-19"
    assert lst.version == "36c517bd264d8d97eff353eadd8d84427d5eb293505a8ce07271a5bc258c3117"
    counts = {t: sum(e.entity_type is t for e in lst.entries) for t in EntityType}
    assert counts == {
        EntityType.INDIVIDUAL: 7303,
        EntityType.ENTITY: 9359,
        EntityType.VESSEL: 1370,
        EntityType.AIRCRAFT: 335,
    }
    assert all(e.programs for e in lst.entries)


def test_advanced_xml_wallets_match_the_derived_address_table() -> None:
    d = data_dir() / "ofac_sdn_advanced_2025-11-19"
    with (d / "DERIVED_digital_currency_addresses_by_entity.csv").open(encoding="utf-8") as f:
        expected = sorted(
            (f"OFAC-SDN:{r['ent_num_fixedref']}", r["currency"], r["address"])
            for r in csv.DictReader(f)
        )
    got = sorted((e.entry_id, w.chain, w.address) for e in advanced().entries for w in e.wallets)
    assert got == expected
    assert len(got) == 761 and len({g[0] for g in got}) == 79


def test_advanced_xml_aliases_keep_ofac_weak_flag_and_original_scripts() -> None:
    cuba = advanced().entry("OFAC-SDN:306")
    assert cuba.primary_name == "BANCO NACIONAL DE CUBA"
    assert {(a.name, a.strength) for a in cuba.aliases} == {
        ("BNC", AliasStrength.WEAK),
        ("NATIONAL BANK OF CUBA", AliasStrength.STRONG),
    }
    yan = advanced().entry("OFAC-SDN:25308")
    assert ("颜 晓兵", "original_script") in {(a.name, a.kind) for a in yan.aliases}


ADV_MINI = """<?xml version="1.0" encoding="utf-8"?>
<Sanctions xmlns="urn:x"><ReferenceValueSets>
<AliasTypeValues><AliasType ID="1403">Name</AliasType></AliasTypeValues>
<DocNameStatusValues><DocNameStatus ID="1">Primary Latin</DocNameStatus></DocNameStatusValues>
<FeatureTypeValues><FeatureType ID="345">Digital Currency Address - ETH</FeatureType>
</FeatureTypeValues>
<PartySubTypeValues><PartySubType ID="3" PartyTypeID="2">Unknown</PartySubType>
</PartySubTypeValues>
<PartyTypeValues><PartyType ID="2">Entity</PartyType></PartyTypeValues>
<SanctionsTypeValues><SanctionsType ID="1">Program</SanctionsType></SanctionsTypeValues>
</ReferenceValueSets><DistinctParties>
<DistinctParty FixedRef="5"><Profile ID="5" PartySubTypeID="{subtype}"><Identity Primary="true">
<Alias AliasTypeID="1403" Primary="true" LowQuality="false"><DocumentedName DocNameStatusID="1">
<DocumentedNamePart><NamePartValue>TORNADO CASH</NamePartValue></DocumentedNamePart>
</DocumentedName></Alias></Identity>
<Feature FeatureTypeID="345"><FeatureVersion><VersionDetail>0xAB</VersionDetail></FeatureVersion>
</Feature></Profile></DistinctParty></DistinctParties>
<SanctionsEntries><SanctionsEntry ProfileID="5"><SanctionsMeasure SanctionsTypeID="1">
<Comment>CYBER2</Comment></SanctionsMeasure></SanctionsEntry></SanctionsEntries></Sanctions>"""


def test_advanced_xml_small_file_plain_and_bz2_give_the_same_list(tmp_path: Path) -> None:
    xml = ADV_MINI.format(subtype="3").encode()
    (tmp_path / "a.xml").write_bytes(xml)
    (tmp_path / "a.xml.bz2").write_bytes(bz2.compress(xml))
    plain = load_ofac_advanced_xml(tmp_path / "a.xml")
    packed = load_ofac_advanced_xml(tmp_path / "a.xml.bz2")
    assert plain == packed
    assert plain.version == sha256_hex(xml)
    (entry,) = plain.entries
    assert (entry.entry_id, entry.primary_name, entry.programs) == (
        "OFAC-SDN:5",
        "TORNADO CASH",
        ("CYBER2",),
    )
    assert entry.wallets[0].chain == "ETH"


def test_advanced_xml_unknown_party_subtype_names_the_record(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(ADV_MINI.format(subtype="99"), "utf-8")
    with pytest.raises(ListFormatError, match=r"DistinctParty FixedRef=5: unknown PartySubTypeID"):
        load_ofac_advanced_xml(tmp_path / "a.xml")


def test_advanced_xml_checksum_mismatch_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(ADV_MINI.format(subtype="3"), "utf-8")
    with pytest.raises(ListFormatError, match="does not match expected"):
        load_ofac_advanced_xml(tmp_path / "a.xml", expected_sha256="0" * 64)


def test_advanced_xml_truncated_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(ADV_MINI.format(subtype="3")[:-40], "utf-8")
    with pytest.raises(ListFormatError, match="malformed XML"):
        load_ofac_advanced_xml(tmp_path / "a.xml")
