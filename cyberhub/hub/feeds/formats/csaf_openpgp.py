"""The OpenPGP side of a CSAF feed: the provider's key, pinned by its fingerprint, and the
detached signatures (`.asc`) of its documents (CSAF 2.0, 7.1.19 and 7.1.20).

The key may come from the provider itself (the `public_openpgp_keys` of its
provider-metadata.json), so the fingerprint in the feed file is what anchors trust: the
operator compares it with the provider out of band, and a key that is not exactly that one is
never used. Sequoia (pysequoia) does the cryptography, with its standard policy: no SHA-1
signatures, no revoked or expired keys, no signature from before the key or far in the future.
"""

from __future__ import annotations

from dataclasses import dataclass

import pysequoia

# A fingerprint no key has: shipped feed files carry it until the operator has compared the
# provider's real one out of band; a feed with it refuses to run.
PLACEHOLDER = "0" * 40


class KeyRefused(Exception):
    """The pinned key cannot be had from what was given; the message says why, in one line."""


def first_line(exc: BaseException) -> str:
    """An error from the library in one line (Rust errors may carry a backtrace)."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


@dataclass(frozen=True)
class PinnedKey:
    cert: pysequoia.Cert

    @property
    def fingerprint(self) -> str:
        return self.cert.fingerprint.upper()

    @classmethod
    def from_bytes(cls, data: bytes, fingerprint: str, *, where: str) -> PinnedKey:
        """The certificate with `fingerprint` among those in `data` (armored or binary)."""
        try:
            certs = pysequoia.Cert.split_bytes(data)
        except Exception as exc:  # the library raises plain RuntimeErrors for bad input
            raise KeyRefused(f"{where}: not an OpenPGP key ({first_line(exc)})") from None
        found = [cert.fingerprint.upper() for cert in certs]
        for cert in certs:
            if cert.fingerprint.upper() == fingerprint:
                if cert.is_revoked:
                    raise KeyRefused(f"{where}: the pinned key {fingerprint} is revoked")
                return cls(cert)
        raise KeyRefused(f"{where}: key fingerprint {', '.join(found) or 'none'} is not the "
                         f"pinned {fingerprint}; compare the provider's key out of band")

    def verify(self, data: bytes, signature: bytes) -> str | None:
        """None when `signature` is a valid detached signature of `data` by this key, else
        the reason it is not."""
        try:
            sig = pysequoia.Sig.from_bytes(signature)
        except Exception as exc:
            return f"not an OpenPGP signature ({first_line(exc)})"
        try:
            # The store is asked for the signer's certificate: only the pinned one is offered,
            # so a signature by any other key finds no certificate and fails.
            result = pysequoia.verify(bytes=data, store=lambda _ids: [self.cert],
                                      signature=sig)
        except Exception as exc:
            issuer = sig.issuer_fingerprint or sig.issuer_key_id or "unknown"
            return f"signature does not verify with the pinned key (issuer {issuer.upper()}: " \
                   f"{first_line(exc)})"
        if not any(valid.certificate.upper() == self.fingerprint
                   for valid in result.valid_sigs):
            return "no valid signature by the pinned key"
        return None
