"""The node's signing key file: its mistakes said in the administrator's language."""

from __future__ import annotations

import os

import pytest

from cyberhub.agent import node_key
from cyberhub.core import keyfiles


def test_a_missing_key_says_to_enroll(tmp_path):
    with pytest.raises(node_key.KeyFileError) as caught:
        node_key.load_key(tmp_path / node_key.KEY_FILE)
    assert caught.value.text("de") == (f"Kein Signaturschlüssel in {tmp_path / 'node_key.pem'};"
                                       " zuerst `cyberhub-agent enroll` ausführen")
    assert caught.value.text("en").startswith("no signing key at ")
    # Still the shared error: whatever catches that catches this.
    assert isinstance(caught.value, keyfiles.KeyFileError)


def test_a_file_that_is_no_key(tmp_path):
    path = tmp_path / node_key.KEY_FILE
    path.write_text("-----BEGIN PRIVATE KEY-----\nkaputt\n-----END PRIVATE KEY-----\n")
    with pytest.raises(node_key.KeyFileError) as caught:
        node_key.load_key(path)
    assert caught.value.text("de") == f"{path} enthält keinen gültigen Ed25519-Signaturschlüssel"


def test_a_key_another_user_owns(tmp_path):
    path = tmp_path / node_key.KEY_FILE
    node_key.write_new_key(path)
    assert node_key.load_key(path) is not None
    # Root reads any file: ask as nobody, as another user would.
    if os.geteuid() == 0:
        os.seteuid(65534)
    else:
        path.chmod(0)
    try:
        with pytest.raises(node_key.KeyFileError) as caught:
            node_key.load_key(path)
    finally:
        if os.getuid() == 0:
            os.seteuid(0)
    assert caught.value.key == "agent.node_key.unreadable"
    assert "ist für diesen Benutzer nicht lesbar" in caught.value.text("de")
