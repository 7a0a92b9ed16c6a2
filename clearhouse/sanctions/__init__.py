"""Sanctions list loaders: read the official files (I/O lives here, not in core/).

Each loader takes explicit paths and returns an immutable list from
:mod:`clearhouse.core.compliance.sanctions_list`, whose ``version`` is a SHA-256 of the bytes
read. Malformed input raises :class:`ListFormatError` naming the file and line (or record).
"""

from clearhouse.sanctions.crypto_lists import load_ofac_crypto_addresses
from clearhouse.sanctions.errors import ListFormatError
from clearhouse.sanctions.ofac_advanced import load_ofac_advanced_xml
from clearhouse.sanctions.ofac_csv import OrphanPolicy, load_ofac_legacy_csv
from clearhouse.sanctions.paths import shared_data_dir
from clearhouse.sanctions.un_xml import load_un_consolidated_xml

__all__ = [
    "ListFormatError",
    "OrphanPolicy",
    "load_ofac_advanced_xml",
    "load_ofac_crypto_addresses",
    "load_ofac_legacy_csv",
    "load_un_consolidated_xml",
    "shared_data_dir",
]
