"""The node's Ed25519 signing key: made on this machine, mode 0600, never sent anywhere.

Only the public half goes to the hub. Rotation writes the next key beside the current one
(`node_key.next.pem`) before asking the hub to register it, so a crash between the two steps
leaves a key the agent can register again rather than a key the hub knows and nobody has.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

KEY_FILE = "node_key.pem"
NEXT_KEY_FILE = "node_key.next.pem"


class KeyFileError(Exception):
    """The key file is missing, unreadable, or not an Ed25519 private key."""


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def write_new_key(path: Path) -> Ed25519PrivateKey:
    """Create a key at `path` (which must not exist) with mode 0600 from the first byte."""
    key = Ed25519PrivateKey.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(_pem(key))
        handle.flush()
        os.fsync(handle.fileno())
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise KeyFileError(f"no signing key at {path}; run `cyberhub-agent enroll` first") from None
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"the signing key {path} cannot be read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} does not hold an Ed25519 private key")
    return key


def next_key(home: Path) -> Ed25519PrivateKey:
    """The key a rotation will register: the one a crashed rotation left, or a new one."""
    path = home / NEXT_KEY_FILE
    if path.exists():
        return load_key(path)
    return write_new_key(path)


def promote_next_key(home: Path) -> None:
    """Make the registered next key current; the old private key is gone after this."""
    os.replace(home / NEXT_KEY_FILE, home / KEY_FILE)
    dir_fd = os.open(home, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
