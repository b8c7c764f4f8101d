"""Talking to the hub: TAXII 2.1 through the stock `taxii2-client`, and the hub's small node API
(enrolment, key rotation, receipts, JWKS) with `requests`.

Every call has a timeout (taxii2-client sets none, so one is mounted on its session), and every
failure becomes a HubError that says whether trying again later can help.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from taxii2client import exceptions as taxii_exceptions
from taxii2client.common import _HTTPConnection
from taxii2client.v21 import ApiRoot, Collection, Status, as_pages

from cyberhub.agent.texts import Problem
from cyberhub.core.http import TimeoutAdapter

USER_AGENT = f"cyberhub-agent/{version('cyberhub')}"
# Status failure codes that mean the report itself is wrong: sending it again cannot help.
PERMANENT_CODES = ("invalid-stix", "object-too-large", "version-conflict", "identity-mismatch")


class HubError(Problem):
    """A failed exchange with the hub. `retry` says whether the same request may succeed later.
    Its text is the catalog's `key` with `values`, said in the reader's language."""

    def __init__(self, key: str, /, *, retry: bool, code: str = "", status: int = 0,
                 **values: Any) -> None:
        super().__init__(key, **values)
        self.retry = retry
        self.code = code
        self.status = status


def check_url(url: str, *, allow_http: bool) -> str:
    """The hub's base URL, refusing plain HTTP to anything but this machine unless allowed:
    the node's password travels in every request."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HubError("agent.hub.bad_url", retry=False, url=repr(url))
    if parts.scheme == "http" and not allow_http:
        host = parts.hostname
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise HubError("agent.hub.plain_http", retry=False)
    return url.rstrip("/") + "/"


def _describe(exc: Exception) -> HubError:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        response = exc.response
        code, message = "", response.reason or "error"
        try:
            body = response.json()
            code = str(body.get("error_code") or "")
            message = str(body.get("title") or message)
            if body.get("description"):
                message += f" ({body['description']})"
        except ValueError:
            pass
        status = response.status_code
        retry = status >= 500 or status in (401, 403, 404, 408, 409, 429)
        if status == 403 and code in ("enrollment-invalid", "enrollment-used",
                                      "enrollment-expired"):
            retry = False
        return HubError("agent.hub.answered", retry=retry, code=code, status=status,
                        message=message)
    if isinstance(exc, requests.Timeout):
        return HubError("agent.hub.timeout", retry=True)
    if isinstance(exc, requests.ConnectionError):
        return HubError("agent.hub.unreachable", retry=True)
    if isinstance(exc, taxii_exceptions.TAXIIServiceException):
        return HubError("agent.hub.not_taxii", retry=True, error=exc)
    if isinstance(exc, requests.RequestException):
        return HubError("agent.hub.failed", retry=True, error=exc)
    if isinstance(exc, ValueError):  # a body that is not JSON
        return HubError("agent.hub.not_json", retry=True)
    raise exc


@dataclass
class Delivery:
    """What the hub's status said about one envelope."""

    status: str
    successes: set[tuple[str, str]]
    failures: dict[str, str]  # object id → message


class HubClient:
    def __init__(self, base_url: str, *, username: str | None = None,
                 password: str | None = None, verify: bool | str = True, timeout: float = 30,
                 allow_http: bool = False) -> None:
        self.base_url = check_url(base_url, allow_http=allow_http)
        # version="2.1": the connection's default is 2.0, whose media types our hub refuses.
        self._connection = _HTTPConnection(user=username, password=password, verify=verify,
                                           version="2.1", user_agent=USER_AGENT)
        adapter = TimeoutAdapter(timeout)
        self._connection.session.mount("http://", adapter)
        self._connection.session.mount("https://", adapter)
        self._collections: dict[str, Collection] = {}

    def close(self) -> None:
        self._connection.close()

    # --- the node API -----------------------------------------------------------------

    def _post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._connection.session.post(
                urljoin(self.base_url, path), data=json.dumps(body),
                headers={"Content-Type": "application/json", "Accept": "application/json"})
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as exc:
            raise _describe(exc) from None

    def enroll(self, token: str, jwk: dict[str, str]) -> dict[str, Any]:
        return self._post_json("nodes/enroll", {"token": token, "jwk": jwk})

    def rotate_key(self, request_token: str) -> str:
        return self._post_json("nodes/keys", {"request": request_token})["kid"]

    def acknowledge(self, object_id: str, version: str, state: str, detail: str = "") -> None:
        body = {"id": object_id, "version": version, "state": state}
        if detail:
            body["detail"] = detail[:1000]
        self._post_json("nodes/receipts", body)

    def register_callback(self, url: str | None) -> None:
        """Tell the hub where this agent listens for push notices (None: stop pushing)."""
        self._post_json("nodes/callback", {"url": url})

    def jwks(self) -> dict[str, Any]:
        try:
            response = self._connection.session.get(
                urljoin(self.base_url, ".well-known/cyberhub/jwks.json"))
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as exc:
            raise _describe(exc) from None

    # --- TAXII --------------------------------------------------------------------------

    def collection(self, api_root: str, alias: str) -> Collection:
        """The collection with this alias in the hub's API root."""
        if alias not in self._collections:
            try:
                root = ApiRoot(api_root, conn=self._connection)
                found = [c for c in root.collections
                         if c._raw.get("alias") == alias or c.id == alias]
            except (requests.RequestException, taxii_exceptions.TAXIIServiceException,
                    ValueError) as exc:
                raise _describe(exc) from None
            if not found:
                raise HubError("agent.hub.no_collection", retry=True, alias=alias)
            self._collections[alias] = found[0]
        return self._collections[alias]

    def send(self, collection: Collection, envelope_json: str) -> Delivery:
        try:
            status: Status = collection.add_objects(envelope_json, wait_for_completion=True,
                                                    poll_interval=1, timeout=60)
        except (requests.RequestException, taxii_exceptions.TAXIIServiceException,
                ValueError) as exc:
            raise _describe(exc) from None
        successes = {(s.get("id"), s.get("version")) for s in status.successes or []}
        failures = {f.get("id"): f.get("message", "") for f in status.failures or []}
        return Delivery(status=status.status, successes=successes, failures=failures)

    def manifest_since(self, collection: Collection, added_after: str | None
                       ) -> list[dict[str, Any]]:
        """Manifest records added after the position, oldest first, following `next`."""
        filters = {"added_after": added_after} if added_after else {}
        records: list[dict[str, Any]] = []
        try:
            for page in as_pages(collection.get_manifest, per_request=100, **filters):
                records.extend(page.get("objects", []))
        except (requests.RequestException, taxii_exceptions.TAXIIServiceException,
                ValueError) as exc:
            raise _describe(exc) from None
        return records

    def objects(self, collection: Collection, ids: list[str]) -> list[dict[str, Any]]:
        """Every version of the objects with these ids."""
        found: list[dict[str, Any]] = []
        try:
            for start in range(0, len(ids), 50):
                chunk = ",".join(ids[start:start + 50])
                for page in as_pages(collection.get_objects, per_request=500,
                                     **{"id": chunk, "version": "all"}):
                    found.extend(page.get("objects", []))
        except (requests.RequestException, taxii_exceptions.TAXIIServiceException,
                ValueError) as exc:
            raise _describe(exc) from None
        return found
