"""Sealing a secret the hub must read back later (a town's first password until enrolment, a
TOTP seed): Fernet, with a key derived by HKDF from another secret and a purpose, so that one
secret never opens what was sealed for another purpose."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def sealer(secret: str, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))
