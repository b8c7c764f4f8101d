"""Downloads for the feed sync: bounded, conditional, and never somewhere unexpected.

Every download streams into a temporary file and stops as soon as it passes the feed's size
cap or its time budget, so a hostile or broken source can neither fill the hub's memory nor
hold a scheduler thread forever. TLS certificates are verified; a redirect is followed only
within its scheme (an https feed never continues over http) and at most a few times. A
conditional GET (If-None-Match, If-Modified-Since) lets an unchanged source answer 304, and
the SHA-256 of what came is kept, so a source without validators that sends the same bytes
again is known to be unchanged too.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from dataclasses import dataclass, field
from typing import IO, Iterator
from urllib.parse import urljoin, urlsplit

import requests

USER_AGENT = "cyberhub-feed-sync/0.1 (+https://github.com/cyberhub)"
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
# Kept in memory up to this size, spooled to disk beyond it.
_SPOOL = 4 * 1024 * 1024


class DownloadError(Exception):
    """A download that failed; the message says why in one line (no secrets in it)."""


@dataclass
class Download:
    url: str
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    sha256: str = ""
    size: int = 0
    body: IO[bytes] | None = field(default=None, repr=False)

    def read(self) -> bytes:
        assert self.body is not None
        self.body.seek(0)
        return self.body.read()

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(line number from 1, the line's bytes without its line end)."""
        assert self.body is not None
        self.body.seek(0)
        for number, line in enumerate(self.body, start=1):
            yield number, line.rstrip(b"\r\n")

    def close(self) -> None:
        if self.body is not None:
            self.body.close()


@dataclass
class Client:
    """One feed's downloads: its limits, its credentials (if any), one HTTP session."""

    max_bytes: int
    timeout: float
    auth: tuple[str, str] | None = None
    verify: bool | str = True
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              accept: str | None = None) -> Download:
        headers = {"User-Agent": USER_AGENT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        deadline = time.monotonic() + self.timeout
        scheme = urlsplit(url).scheme
        for _ in range(MAX_REDIRECTS + 1):
            response = self._get(url, headers, deadline)
            if response.status_code in (301, 302, 303, 307, 308):
                target = urljoin(url, response.headers.get("Location", ""))
                response.close()
                if urlsplit(target).scheme != scheme:
                    raise DownloadError(f"{shown_url(url)}: redirect to another scheme refused "
                                        f"({shown_url(target)})")
                url = target
                continue
            return self._body(url, response, deadline)
        raise DownloadError(f"{shown_url(url)}: more than {MAX_REDIRECTS} redirects")

    def _get(self, url: str, headers: dict[str, str], deadline: float) -> requests.Response:
        remaining = max(deadline - time.monotonic(), 0.1)
        try:
            return self.session.get(url, headers=headers, stream=True, allow_redirects=False,
                                    timeout=(min(10.0, remaining), remaining), auth=self.auth,
                                    verify=self.verify)
        except requests.exceptions.SSLError:
            raise DownloadError(f"{shown_url(url)}: TLS certificate not trusted") from None
        except requests.exceptions.Timeout:
            raise DownloadError(f"{shown_url(url)}: no answer within {self.timeout:g} s") from None
        except requests.exceptions.RequestException as exc:
            raise DownloadError(f"{shown_url(url)}: {type(exc).__name__}") from None

    def _body(self, url: str, response: requests.Response, deadline: float) -> Download:
        with response:
            if response.status_code == 304:
                return Download(url, not_modified=True,
                                etag=response.headers.get("ETag"),
                                last_modified=response.headers.get("Last-Modified"))
            if response.status_code != 200:
                raise DownloadError(f"{shown_url(url)}: HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise DownloadError(f"{shown_url(url)}: {int(declared)} bytes announced, more "
                                    f"than the limit of {self.max_bytes}")
            body = tempfile.SpooledTemporaryFile(max_size=_SPOOL)
            digest = hashlib.sha256()
            size = 0
            try:
                for chunk in response.iter_content(_CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise DownloadError(f"{shown_url(url)}: more than the limit of "
                                            f"{self.max_bytes} bytes; stopped")
                    if time.monotonic() > deadline:
                        raise DownloadError(f"{shown_url(url)}: not complete within "
                                            f"{self.timeout:g} s; stopped")
                    digest.update(chunk)
                    body.write(chunk)
            except requests.exceptions.RequestException as exc:
                body.close()
                raise DownloadError(f"{shown_url(url)}: {type(exc).__name__}") from None
            except DownloadError:
                body.close()
                raise
            return Download(url, etag=response.headers.get("ETag"),
                            last_modified=response.headers.get("Last-Modified"),
                            sha256=digest.hexdigest(), size=size, body=body)


def shown_url(url: str) -> str:
    """The URL without user information or query (either may carry a secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
