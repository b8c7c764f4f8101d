"""Stateless `next` tokens: signed cursors.

A token names the caller, the resource, the query and the last `date_added` served. It is signed
with the hub's secret, so it works in any worker and after a restart, cannot be forged or edited,
and is refused when presented by someone else or with a different query. The caller's rights are
checked again on every page by the view, as on any request.
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cyberhub.hub.web.errors import TaxiiError


class Cursors:
    def __init__(self, secret: str, max_age: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="cyberhub.taxii.next")
        self._max_age = max_age

    @staticmethod
    def _scope(account_id: int, resource: str, fingerprint: str) -> str:
        text = f"{account_id}\n{resource}\n{fingerprint}"
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def issue(self, account_id: int, resource: str, fingerprint: str, position: int) -> str:
        return self._serializer.dumps([self._scope(account_id, resource, fingerprint), position])

    def position(self, token: str, account_id: int, resource: str, fingerprint: str) -> int:
        """The `date_added` after which the next page starts; 400 for any bad token."""
        try:
            scope, position = self._serializer.loads(token, max_age=self._max_age)
        except SignatureExpired:
            raise TaxiiError(400, "next: this token has expired; start the query again",
                             "next-expired") from None
        except (BadSignature, ValueError, TypeError):
            raise TaxiiError(400, "next: not a token issued by this hub", "next-invalid") from None
        if scope != self._scope(account_id, resource, fingerprint) or type(position) is not int:
            raise TaxiiError(
                400, "next: this token belongs to another query, resource or account; send the "
                "same filters as for the first page", "next-mismatch",
            )
        return position
