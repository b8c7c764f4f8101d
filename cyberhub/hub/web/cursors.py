"""Stateless `next` tokens: signed cursors.

A token names the caller, the resource, the query and the last `date_added` served. It is signed
with the hub's secret, so it works in any worker and after a restart, cannot be forged or edited,
and is refused when presented by someone else or with a different query. The caller's rights are
checked again on every page by the view, as on any request.

The token is plain text - scope, position, time of issue and an HMAC-SHA256 (128 bits) over
them - because it is made and checked on every page: a serialiser of JSON and base64 cost
several times as much for the same guarantees.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from typing import Callable

from cyberhub.hub.web.errors import TaxiiError

_TOKEN = re.compile(r"([0-9a-f]{32})\.([0-9]{1,20})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})")


class Cursors:
    def __init__(self, secret: str, max_age: int,
                 clock: Callable[[], float] = time.time) -> None:
        self._key = hashlib.sha256(b"cyberhub.taxii.next\0" + secret.encode()).digest()
        self._max_age = max_age
        self._clock = clock

    @staticmethod
    def _scope(account_id: int, resource: str, fingerprint: str) -> str:
        text = f"{account_id}\n{resource}\n{fingerprint}"
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def issue(self, account_id: int, resource: str, fingerprint: str, position: int) -> str:
        body = f"{self._scope(account_id, resource, fingerprint)}.{position}.{int(self._clock())}"
        return f"{body}.{self._mac(body)}"

    def position(self, token: str, account_id: int, resource: str, fingerprint: str) -> int:
        """The `date_added` after which the next page starts; 400 for any bad token."""
        found = _TOKEN.fullmatch(token)
        if found is None or not hmac.compare_digest(found[4],
                                                    self._mac(token[:found.start(4) - 1])):
            raise TaxiiError(400, "next: not a token issued by this hub", "next-invalid")
        if self._clock() - int(found[3]) > self._max_age:
            raise TaxiiError(400, "next: this token has expired; start the query again",
                             "next-expired")
        if found[1] != self._scope(account_id, resource, fingerprint):
            raise TaxiiError(
                400, "next: this token belongs to another query, resource or account; send the "
                "same filters as for the first page", "next-mismatch",
            )
        return int(found[2])
