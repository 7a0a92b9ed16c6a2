"""API key secrets at rest: sealed with AES-256-GCM under the venue's master key.

The engine (and so the journal and snapshots) only ever holds sealed secrets. The gateway
unseals one to check a request's signature. The key id is the associated data, so a sealed
secret copied onto another key does not open.

The master key comes from `CLEARHOUSE_MASTER_KEY` (64 hex digits), else `<data_dir>/master.key`
(created on first start, mode 0600), else, with no data dir, a random in-memory key.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MASTER_KEY_FILE: Final = "master.key"
MASTER_KEY_ENV: Final = "CLEARHOUSE_MASTER_KEY"
KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
API_KEY_HEX_BYTES: Final = 16  # 32 hex characters, like Gate's keys
API_SECRET_HEX_BYTES: Final = 32  # 64 hex characters


class SealError(Exception):
    """A sealed secret does not open under this master key."""


class MasterKey:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the master key is {KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "MasterKey(<hidden>)"

    @classmethod
    def load(cls, data_dir: Path | None, env: Mapping[str, str] | None = None) -> MasterKey:
        environ = os.environ if env is None else env
        from_env = environ.get(MASTER_KEY_ENV, "")
        if from_env:
            try:
                return cls(bytes.fromhex(from_env))
            except ValueError as exc:
                raise ValueError(f"{MASTER_KEY_ENV} must be {KEY_BYTES * 2} hex digits") from exc
        if data_dir is None:
            return cls(secrets.token_bytes(KEY_BYTES))
        return cls(_read_or_create(data_dir / MASTER_KEY_FILE))

    def seal(self, secret: str, key_id: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret.encode(), key_id.encode())

    def unseal(self, sealed: bytes, key_id: str) -> str:
        try:
            plain = self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], key_id.encode())
        except (InvalidTag, ValueError) as exc:
            raise SealError("sealed secret does not open under this master key") from exc
        return plain.decode()


def _read_or_create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    key = secrets.token_bytes(KEY_BYTES)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key


def _read_key(path: Path) -> bytes:
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError as exc:
        raise ValueError(f"{path} does not hold a hex master key") from exc
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} does not hold a {KEY_BYTES}-byte master key")
    return key


def new_api_key() -> tuple[str, str]:
    """A fresh (key, secret) pair; the secret is shown once and then only kept sealed."""
    return secrets.token_hex(API_KEY_HEX_BYTES), secrets.token_hex(API_SECRET_HEX_BYTES)
