"""The hub client's judgement: which URLs it trusts, which failures are worth retrying."""

from __future__ import annotations

import pytest

from cyberhub.agent.hub_client import HubClient, HubError, check_url


@pytest.mark.parametrize("url, ok", [
    ("https://hub.example.org", True), ("http://127.0.0.1:8000", True),
    ("http://localhost:8000/", True), ("http://[::1]:8000", True),
    ("http://hub.example.org", False), ("ftp://hub.example.org", False), ("hub", False),
])
def test_plain_http_only_to_this_machine(url, ok):
    if ok:
        assert check_url(url, allow_http=False).endswith("/")
    else:
        with pytest.raises(HubError) as caught:
            check_url(url, allow_http=False)
        assert not caught.value.retry


def test_allow_http_is_explicit():
    assert check_url("http://hub.lan", allow_http=True) == "http://hub.lan/"


def test_unreachable_hub_is_retryable_and_times_out(tmp_path):
    import socket

    with socket.socket() as sock:  # a port that listens but never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        client = HubClient(f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=0.5)
        with pytest.raises(HubError) as caught:
            client.jwks()
        assert caught.value.retry and caught.value.text("en") == "the hub did not answer in time"
        assert caught.value.text("de") == "Der Hub hat nicht rechtzeitig geantwortet"
    client = HubClient("http://127.0.0.1:9", timeout=0.5)
    with pytest.raises(HubError) as caught:
        client.enroll("token", {})
    assert caught.value.retry and caught.value.text("en") == "the hub cannot be reached"
