"""Ed25519 private keys on disk, for the hub and the agent alike: created with mode 0600 from
the first byte (O_EXCL, so an existing key is never overwritten), read back strictly."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


class KeyFileError(Exception):
    """The key file is missing, unreadable, or not an Ed25519 private key."""


def create_key_file(path: Path) -> Ed25519PrivateKey:
    """Write a new key to `path`; FileExistsError if a file is already there.

    The file is opened with O_EXCL and mode 0600, so the key is never readable by others, not
    even for the moment between creating and chmod-ing it, and it is on disk before it is used.
    """
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    return key


def read_key_file(path: Path, missing: str = "") -> Ed25519PrivateKey:
    """The key in `path`; KeyFileError naming the file (and `missing`, the remedy) otherwise."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise KeyFileError(f"no signing key at {path}{'; ' + missing if missing else ''}"
                           ) from None
    except (OSError, ValueError, TypeError) as exc:
        raise KeyFileError(f"the signing key {path} cannot be read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} does not hold an Ed25519 private key")
    return key
