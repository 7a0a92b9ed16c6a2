"""From list files on disk to the engine command that loads them (`LoadSanctionsList`).

The loaders read and version the files; this turns what they read into the command's plain
entries. The command is what gets journaled, so the engine never reads a file itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from clearhouse.core.commands import LoadSanctionsList
from clearhouse.core.compliance.sanctions_payload import addresses_of, entries_of
from clearhouse.sanctions.crypto_lists import load_ofac_crypto_addresses
from clearhouse.sanctions.ofac_advanced import load_ofac_advanced_xml
from clearhouse.sanctions.ofac_csv import OrphanPolicy, load_ofac_legacy_csv_dir
from clearhouse.sanctions.un_xml import load_un_consolidated_xml

ListFormat = Literal["ofac_csv", "ofac_advanced_xml", "un_xml", "ofac_crypto_addresses"]
LIST_FORMATS: Final[tuple[ListFormat, ...]] = (
    "ofac_csv",
    "ofac_advanced_xml",
    "un_xml",
    "ofac_crypto_addresses",
)


def load_command(fmt: ListFormat, path: Path, *, drop_orphans: bool = False) -> LoadSanctionsList:
    """Read a list in one of the supported formats and build the command that loads it.

    - ofac_csv: a directory with sdn.csv and any of alt.csv, add.csv, sdn_comments.csv (rows of
      the companions whose ent_num is not in sdn.csv are an error unless ``drop_orphans``)
    - ofac_advanced_xml: sdn_advanced.xml or sdn_advanced.xml.bz2
    - un_xml: the UN consolidated list XML
    - ofac_crypto_addresses: a directory of sanctioned_addresses_<TICKER>.json/.txt files
    Raises ListFormatError (a ValueError) on malformed input, OSError when unreadable.
    """
    if fmt == "ofac_crypto_addresses":
        addresses = load_ofac_crypto_addresses(path)
        return LoadSanctionsList(
            addresses.source, addresses.version, addresses=addresses_of(addresses)
        )
    if fmt == "ofac_csv":
        orphans = OrphanPolicy.DROP if drop_orphans else OrphanPolicy.ERROR
        sanctions = load_ofac_legacy_csv_dir(path, on_orphan=orphans)
    elif fmt == "ofac_advanced_xml":
        sanctions = load_ofac_advanced_xml(path)
    elif fmt == "un_xml":
        sanctions = load_un_consolidated_xml(path)
    else:  # pragma: no cover - the Literal type keeps callers honest
        raise ValueError(f"unknown list format {fmt!r}")
    return LoadSanctionsList(
        sanctions.source,
        sanctions.version,
        entries_of(sanctions),
        published=sanctions.published or "",
    )
