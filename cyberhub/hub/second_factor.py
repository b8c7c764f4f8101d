"""The console's second factor: TOTP (RFC 6238, what every authenticator app speaks), required
for coordinators and admins, who publish advisories and manage towns and accounts.

The seed is sealed with a key derived from the hub's secret key (data directory), so that a
copy of the database alone yields no codes. A code is accepted within one 30-second step of
the hub's clock either way, and never twice: the step of the last code accepted is kept with the
account, so a code seen over someone's shoulder is worth nothing once used."""

from __future__ import annotations

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.orm import Session

from cyberhub.core import sealing
from cyberhub.hub import audit
from cyberhub.hub.storage.models import Account

REQUIRED_FOR = ("coordinator", "admin")
ISSUER = "cyberhub"
STEP = 30


def required(account: Account) -> bool:
    return account.role in REQUIRED_FOR


def _sealer(secret_key: str) -> Fernet:
    return sealing.sealer(secret_key, b"cyberhub console second factor")


def new_seed() -> str:
    return pyotp.random_base32()


def provisioning_svg(seed: str, username: str) -> str:
    """The QR code an authenticator app scans, as inline SVG (drawn here, no request out)."""
    uri = pyotp.TOTP(seed).provisioning_uri(name=username, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def check(seed: str, code: str, *, now_s: float, last_step: int | None) -> int | None:
    """The time step the code belongs to, if it is right and newer than `last_step`."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(seed)
    for offset in (0, -1, 1):
        at = now_s + offset * STEP
        if totp.verify(code, for_time=at, valid_window=0):
            step = int(at // STEP)
            return step if last_step is None or step > last_step else None
    return None


def accept(session: Session, account: Account, seed: str, code: str | None, *,
           now_s: float) -> bool:
    """Whether the code is right and unused; if so it is used up (the caller holds the
    account's row for the check)."""
    step = check(seed, code or "", now_s=now_s, last_step=account.totp_last_step)
    if step is None:
        return False
    account.totp_last_step = step
    session.flush()
    return True


def seed_of(account: Account, secret_key: str) -> str | None:
    if account.totp_sealed is None:
        return None
    try:
        return _sealer(secret_key).decrypt(account.totp_sealed.encode()).decode()
    except InvalidToken:  # sealed under another secret key: the person enrols again
        return None


def enrol(session: Session, account: Account, seed: str, *, secret_key: str, actor: str,
          now: int) -> None:
    account.totp_sealed = _sealer(secret_key).encrypt(seed.encode()).decode()
    audit.record(session, actor=actor, action="account.second-factor-enrolled",
                 subject=account.username, now=now)


def reset(session: Session, account: Account, *, actor: str, now: int) -> None:
    account.totp_sealed = None
    audit.record(session, actor=actor, action="account.second-factor-reset",
                 subject=account.username, now=now)
