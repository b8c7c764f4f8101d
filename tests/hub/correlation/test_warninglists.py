"""Warning lists keep what every town sees out of correlation."""

from __future__ import annotations

import pytest
from conftest import REPO

from cyberhub.hub.correlation import warninglists


@pytest.fixture(scope="module")
def lists():
    return warninglists.load(REPO / "config" / "warninglists")


@pytest.mark.parametrize("kind, value, listed", [
    ("ipv4", "8.8.8.8", "Public DNS resolvers"),
    ("ipv4-24", "8.8.8.0/24", "Public DNS resolvers"),  # the prefix around a listed address
    ("ipv4", "192.168.10.5", "Private, reserved and documentation address ranges"),
    ("ipv4", "203.0.113.9", "Private, reserved and documentation address ranges"),
    ("ipv6", "2001:db8::1", "Private, reserved and documentation address ranges"),
    ("domain", "ctldl.windowsupdate.com", "Operating system updates and large CDNs"),
    ("url", "http://deb.debian.org/debian/pool/x.deb", "Operating system updates and large CDNs"),
    ("email", "noreply@dns.google", "Public DNS resolver names"),
    ("hash", "SHA-256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "Hashes of empty input"),
    ("ipv4", "45.13.7.9", None),
    ("domain", "windowsupdate.com.evil.example", None),  # a suffix match, not a substring
])
def test_listed(lists, kind, value, listed):
    assert lists.listed(kind, value) == listed


def test_broken_list_files_are_named(tmp_path):
    (tmp_path / "bad.toml").write_text('name = "x"\ntype = "cidr"\nentries = ["not-an-ip"]\n')
    with pytest.raises(warninglists.WarninglistError) as caught:
        warninglists.load(tmp_path)
    assert "bad.toml" in str(caught.value) and "not-an-ip" in str(caught.value)
    (tmp_path / "bad.toml").write_text("type = \n")
    with pytest.raises(warninglists.WarninglistError):
        warninglists.load(tmp_path)


def test_a_missing_directory_is_an_error(tmp_path):
    with pytest.raises(warninglists.WarninglistError) as caught:
        warninglists.load(tmp_path / "nowhere")
    assert "no such directory" in str(caught.value)


def test_serve_refuses_a_broken_list_before_listening(runner, tmp_path):
    from cyberhub.cli import main

    runner.invoke(main, ["init"])
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "bad.toml").write_text('name = "x"\ntype = "cidr"\nentries = ["?"]\n')
    result = runner.invoke(main, ["serve"],
                           env={"CYBERHUB_WARNINGLISTS_DIR": str(tmp_path / "lists")})
    assert result.exit_code == 1
    assert result.output.startswith("error: warning list ") and "bad.toml" in result.output
    assert len(result.output.strip().splitlines()) == 1
