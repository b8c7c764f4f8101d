"""Talking to a peer hub: its JWKS and identity, enrolment at an upstream, and forwards
posted to the upstream's `reports` collection through the stock `taxii2-client`.

Every failure becomes a PeerError that says whether trying again later can help.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from taxii2client import exceptions as taxii_exceptions
from taxii2client.common import _HTTPConnection
from taxii2client.v21 import ApiRoot, Collection, as_pages

from cyberhub.core import signing
from cyberhub.core.http import TimeoutAdapter

USER_AGENT = f"cyberhub-hub/{version('cyberhub')}"
JWKS_PATH = ".well-known/cyberhub/jwks.json"
MAX_JWKS_BYTES = 64 * 1024


class PeerError(Exception):
    def __init__(self, message: str, *, retry: bool, code: str = "") -> None:
        super().__init__(message)
        self.retry = retry
        self.code = code


def base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username:
        raise PeerError(f"{url!r} is not a hub's base URL like https://hub.example.org/",
                        retry=False, code="bad-url")
    return url.rstrip("/") + "/"


def _describe(exc: Exception, what: str) -> PeerError:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        response = exc.response
        code, message = "", response.reason or "error"
        try:
            body = response.json()
            code = str(body.get("error_code") or "")
            message = str(body.get("description") or body.get("title") or message)
        except ValueError:
            pass
        retry = response.status_code >= 500 or response.status_code in (408, 429)
        return PeerError(f"{what}: HTTP {response.status_code} {code} {message}".strip(),
                         retry=retry, code=code)
    if isinstance(exc, requests.Timeout):
        return PeerError(f"{what}: no answer in time", retry=True, code="timeout")
    if isinstance(exc, requests.ConnectionError):
        return PeerError(f"{what}: the peer hub cannot be reached", retry=True,
                         code="unreachable")
    return PeerError(f"{what}: {exc}", retry=True, code="failed")


def _refused_whole(exc: requests.HTTPError) -> list[dict[str, Any]] | None:
    """A hub answers 422 with the status's failures when it could store nothing of an
    envelope: that is an answer about each object, not a failure of the exchange."""
    response = exc.response
    if response is None or response.status_code != 422:
        return None
    try:
        failures = response.json()["details"]["failures"]
    except (ValueError, KeyError, TypeError):
        return None
    return [f for f in failures if isinstance(f, dict)] if isinstance(failures, list) else None


@dataclass
class Delivery:
    successes: int
    failures: list[dict[str, Any]]


class PeerClient:
    def __init__(self, url: str, *, username: str | None = None, password: str | None = None,
                 verify: bool | str = True, timeout: float = 60) -> None:
        self.base_url = base_url(url)
        # version="2.1": the connection's default is 2.0, whose media types a hub refuses.
        self._connection = _HTTPConnection(user=username, password=password, verify=verify,
                                           version="2.1", user_agent=USER_AGENT)
        adapter = TimeoutAdapter(timeout)
        self._connection.session.mount("http://", adapter)
        self._connection.session.mount("https://", adapter)
        self._reports: Collection | None = None

    def close(self) -> None:
        self._connection.close()

    def jwks(self) -> dict[str, Any]:
        """The peer's JWK Set, as it serves it (a small document, read with a cap)."""
        try:
            response = self._connection.session.get(urljoin(self.base_url, JWKS_PATH),
                                                    stream=True)
            response.raise_for_status()
            body = response.raw.read(MAX_JWKS_BYTES + 1, decode_content=True)
        except requests.RequestException as exc:
            raise _describe(exc, "reading the peer's keys") from None
        if len(body) > MAX_JWKS_BYTES:
            raise PeerError("the peer's key set is larger than any hub's", retry=False,
                            code="bad-jwks")
        try:
            return json.loads(body)
        except ValueError:
            raise PeerError("the peer's key set is not JSON", retry=False,
                            code="bad-jwks") from None

    def enroll(self, token: str, jwk: dict[str, str]) -> dict[str, Any]:
        try:
            response = self._connection.session.post(
                urljoin(self.base_url, "nodes/enroll"), data=json.dumps(
                    {"token": token, "jwk": jwk}),
                headers={"Content-Type": "application/json", "Accept": "application/json"})
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as exc:
            raise _describe(exc, "enrolling at the upstream") from None

    def reports(self, api_root: str, collection_id: str | None) -> Collection:
        """The upstream's `reports` collection (by id when known, else by its alias)."""
        if self._reports is None:
            try:
                if collection_id:
                    self._reports = Collection(
                        urljoin(api_root.rstrip("/") + "/", f"collections/{collection_id}/"),
                        conn=self._connection)
                else:
                    root = ApiRoot(api_root, conn=self._connection)
                    found = [c for c in root.collections
                             if c._raw.get("alias") == "reports"]
                    if not found:
                        raise PeerError("the upstream has no reports collection this hub may "
                                        "write", retry=True, code="no-collection")
                    self._reports = found[0]
            except (requests.RequestException, taxii_exceptions.TAXIIServiceException,
                    ValueError) as exc:
                raise _describe(exc, "finding the upstream's reports collection") from None
        return self._reports

    def collection(self, api_root: str, alias: str) -> Collection:
        try:
            root = ApiRoot(api_root, conn=self._connection)
            found = [c for c in root.collections if c._raw.get("alias") == alias]
        except (requests.RequestException, taxii_exceptions.TAXIIServiceException,
                ValueError) as exc:
            raise _describe(exc, f"finding the upstream's {alias} collection") from None
        if not found:
            raise PeerError(f"the upstream has no {alias} collection this hub may read",
                            retry=True, code="no-collection")
        return found[0]

    def added_since(self, collection: Collection, added_after: str | None
                    ) -> tuple[list[dict[str, Any]], str | None]:
        """Every version of the objects added after the position (TAXII 5.3 and 5.4:
        the manifest says what is new, Get Objects brings it), and the newest date_added."""
        filters = {"added_after": added_after} if added_after else {}
        try:
            records = [record for page in as_pages(collection.get_manifest, per_request=500,
                                                    **filters)
                       for record in page.get("objects", [])]
            ids = sorted({record["id"] for record in records})
        except (requests.RequestException, taxii_exceptions.TAXIIServiceException,
                ValueError, KeyError, TypeError) as exc:
            raise _describe(exc, "reading the upstream's advisories") from None
        found = self.objects(collection, ids)
        # A new signature also covers what was stored before and is not new (the TLP
        # marking, an unchanged campaign): fetch that too, or the signature cannot be checked.
        have = {(obj.get("id"), signing.object_version(obj)) for obj in found
                if isinstance(obj, dict)}
        missing = set()
        for carrier in found:
            if isinstance(carrier, dict) and carrier.get("type") == signing.SIGNATURE_TYPE:
                try:
                    missing |= {object_id for object_id, version in
                                signing.covered_versions(carrier.get("jws"))
                                if (object_id, version) not in have}
                except signing.Rejected:
                    continue
        if missing:
            found += self.objects(collection, sorted(missing))
        newest = max((record.get("date_added") for record in records
                      if isinstance(record.get("date_added"), str)), default=added_after)
        return found, newest

    def objects(self, collection: Collection, ids: list[str]) -> list[dict[str, Any]]:
        """Every version of the objects with these ids."""
        found: list[dict[str, Any]] = []
        try:
            for start in range(0, len(ids), 50):
                for page in as_pages(collection.get_objects, per_request=500,
                                     id=",".join(ids[start:start + 50]), version="all"):
                    found.extend(page.get("objects", []))
        except (requests.RequestException, taxii_exceptions.TAXIIServiceException,
                ValueError) as exc:
            raise _describe(exc, "reading the upstream's advisories") from None
        return found

    def addressed(self) -> dict[str, Any]:
        """Which of this hub's towns the upstream addressed, per advisory."""
        try:
            response = self._connection.session.get(
                urljoin(self.base_url, "nodes/addressed"), headers={"Accept": "application/json"})
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as exc:
            raise _describe(exc, "asking the upstream whom it addressed") from None

    def acknowledge(self, receipt: dict[str, Any]) -> None:
        try:
            response = self._connection.session.post(
                urljoin(self.base_url, "nodes/receipts"), data=json.dumps(receipt),
                headers={"Content-Type": "application/json", "Accept": "application/json"})
            response.raise_for_status()
        except requests.RequestException as exc:
            raise _describe(exc, "sending a town's receipt up") from None

    def send(self, collection: Collection, envelope_json: str) -> Delivery:
        try:
            status = collection.add_objects(envelope_json, wait_for_completion=True,
                                            poll_interval=1, timeout=120)
        except requests.HTTPError as exc:
            refused = _refused_whole(exc)
            if refused is not None:
                return Delivery(0, refused)
            raise _describe(exc, "forwarding") from None
        except (requests.RequestException, taxii_exceptions.TAXIIServiceException,
                ValueError) as exc:
            raise _describe(exc, "forwarding") from None
        return Delivery(len(status.successes or []), list(status.failures or []))
