"""OFAC-listed digital currency addresses, one file per ticker.

The folders hold ``sanctioned_addresses_<TICKER>.json`` (a JSON array of strings) and/or
``sanctioned_addresses_<TICKER>.txt`` (one address per line), extracted from OFAC's SDN advanced
XML by 0xB10C's tool. When both files exist for a ticker they must agree: a disagreement means
a broken extract, and is an error rather than a silent union.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from clearhouse.core.compliance.sanctions_list import (
    AddressList,
    ListedAddress,
    content_version,
)
from clearhouse.sanctions.errors import ListFormatError

SOURCE = "OFAC-DCA"
_FILE = re.compile(r"^sanctioned_addresses_([A-Z0-9]+)\.(json|txt)$")
MAX_ADDRESS_CHARS = 256


def _check(path: Path, where: str, address: str) -> str:
    if not address or len(address) > MAX_ADDRESS_CHARS or any(c.isspace() for c in address):
        raise ListFormatError(path, where, f"not an address: {address!r}")
    return address


def _from_json(path: Path, data: bytes) -> list[str]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ListFormatError(path, "json", f"malformed JSON: {exc}") from exc
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ListFormatError(path, "json", "expected a JSON array of strings")
    return [_check(path, f"item {i}", v.strip()) for i, v in enumerate(value)]


def _from_txt(path: Path, data: bytes) -> list[str]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ListFormatError(path, "text", f"not valid UTF-8: {exc}") from exc
    out: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.strip():  # blank lines (e.g. a trailing newline) are not records
            out.append(_check(path, f"line {lineno}", line.strip()))
    return out


def load_ofac_crypto_addresses(directory: Path) -> AddressList:
    files = sorted(p for p in directory.iterdir() if _FILE.match(p.name))
    if not files:
        raise ListFormatError(directory, "directory", "no sanctioned_addresses_<TICKER> files")
    blobs: list[tuple[str, bytes]] = []
    by_ticker: dict[str, dict[str, tuple[Path, list[str]]]] = {}
    for path in files:
        m = _FILE.match(path.name)
        assert m is not None
        data = path.read_bytes()
        blobs.append((path.name, data))
        addresses = _from_json(path, data) if m.group(2) == "json" else _from_txt(path, data)
        by_ticker.setdefault(m.group(1), {})[m.group(2)] = (path, addresses)
    listed: list[ListedAddress] = []
    for ticker in sorted(by_ticker):
        forms = by_ticker[ticker]
        if len(forms) == 2 and sorted(forms["json"][1]) != sorted(forms["txt"][1]):
            raise ListFormatError(
                forms["txt"][0], "file", f"differs from {forms['json'][0].name} for {ticker}"
            )
        path, addresses = forms.get("json") or forms["txt"]
        seen: set[str] = set()
        for address in addresses:
            if address not in seen:
                seen.add(address)
                listed.append(ListedAddress(chain=ticker, address=address, origin=path.name))
    return AddressList(source=SOURCE, version=content_version(blobs), addresses=tuple(listed))
