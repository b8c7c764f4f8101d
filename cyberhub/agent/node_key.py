"""The node's Ed25519 signing key: made on this machine, mode 0600, never sent anywhere.

Only the public half goes to the hub. Rotation writes the next key beside the current one
(`node_key.next.pem`) before asking the hub to register it, so a crash between the two steps
leaves a key the agent can register again rather than a key the hub knows and nobody has.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cyberhub.agent.texts import Problem
from cyberhub.core import keyfiles
from cyberhub.core.keyfiles import create_key_file, read_key_file

__all__ = ["KEY_FILE", "NEXT_KEY_FILE", "KeyFileError", "load_key", "next_key",
           "promote_next_key", "write_new_key"]

KEY_FILE = "node_key.pem"
NEXT_KEY_FILE = "node_key.next.pem"


class KeyFileError(Problem, keyfiles.KeyFileError):
    """The key file is missing, unreadable or no Ed25519 key, said in the reader's language
    (the shared reader's own texts are English, for the hub's operators)."""


def write_new_key(path: Path) -> Ed25519PrivateKey:
    """Create a key at `path` (which must not exist) with mode 0600 from the first byte."""
    return create_key_file(path)


def load_key(path: Path) -> Ed25519PrivateKey:
    try:
        return read_key_file(path)
    except keyfiles.KeyFileError:
        pass
    # The shared reader's texts are English: find out which mistake it was, to say it here.
    try:
        with path.open("rb"):
            pass
    except FileNotFoundError:
        raise KeyFileError("agent.node_key.missing", path=path) from None
    except IsADirectoryError:
        raise KeyFileError("agent.node_key.not_a_key", path=path) from None
    except OSError:
        raise KeyFileError("agent.node_key.unreadable", path=path) from None
    raise KeyFileError("agent.node_key.not_a_key", path=path)


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
