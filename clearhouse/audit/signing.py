"""Ed25519 signed checkpoints over the audit chain.

The venue's audit key pair is generated on first start in the data dir (`audit/`, private key
mode 0600) and its public key is exportable (`clearhouse audit public-key DIR`, and the admin
API). A checkpoint signs (number of records, hash of the last record, journal seq, time): a
record edited, removed or reordered before a checkpoint no longer matches what was signed, even
if whoever edited it recomputed every hash after it. Verify with a public key kept *outside* the
data dir: someone who can rewrite the data dir can also replace the key pair there.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clearhouse.audit.chain import canonical

PRIVATE_KEY_FILE: Final = "audit_ed25519.key"
PUBLIC_KEY_FILE: Final = "audit_ed25519.pub"
SIGNED_FIELDS: Final = ("n", "head", "journal_seq", "time_ns", "key_id")


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


class Signer:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    @classmethod
    def ephemeral(cls) -> Signer:
        """For a venue without a data dir (tests, demos): a key that lives as long as it does."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load_or_create(cls, directory: Path) -> Signer:
        directory.mkdir(parents=True, exist_ok=True)
        private_path = directory / PRIVATE_KEY_FILE
        if private_path.exists():
            key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"{private_path} is not an Ed25519 private key")
            signer = cls(key)
        else:
            signer = cls(Ed25519PrivateKey.generate())
            pem = signer.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem)
                file.flush()
                os.fsync(file.fileno())
        public_path = directory / PUBLIC_KEY_FILE
        if not public_path.exists():
            public_path.write_text(public_pem(signer.public_key))
        return signer

    @property
    def public_pem(self) -> str:
        return public_pem(self.public_key)

    def checkpoint(self, n: int, head: str, journal_seq: int, time_ns: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "n": n, "head": head, "journal_seq": journal_seq, "time_ns": time_ns,
            "key_id": self.key_id,
        }  # fmt: skip
        body["signature"] = self.private_key.sign(canonical(body)).hex()
        return body


def checkpoint_signature_ok(checkpoint: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    try:
        body = {name: checkpoint[name] for name in SIGNED_FIELDS}
        public_key.verify(bytes.fromhex(str(checkpoint["signature"])), canonical(body))
    except (KeyError, ValueError, InvalidSignature):
        return False
    return True
