"""Why advisory content was refused: stable for the hub, said for the administrator."""

from __future__ import annotations

from cyberhub.agent.hub_client import HubError
from cyberhub.agent.hub_signatures import Refusal
from cyberhub.agent.texts import say
from cyberhub.core import signing


def test_the_hub_gets_the_code_and_the_person_a_sentence():
    refusal = Refusal.of(signing.Rejected("hash-mismatch", "report--1 changed after it was "
                                                           "signed"))
    # What the store keeps and the receipt carries: the specification's code, its detail.
    assert refusal == "hash-mismatch: report--1 changed after it was signed"
    assert refusal.code == "hash-mismatch"
    assert say("agent.polling.advisory_refused_log", "de", what="x", why=refusal) == (
        "Inhalt der Sicherheitswarnung x abgelehnt: Der Inhalt wurde nach dem Signieren "
        "verändert (hash-mismatch)")
    assert refusal.text("en") == "the content changed after it was signed (hash-mismatch)"


def test_an_unknown_key_the_hub_could_not_explain():
    error = HubError("agent.hub.timeout", retry=True)
    refusal = Refusal("key-unknown", error.text("en"), error)
    assert refusal == "key-unknown: the hub did not answer in time"
    assert refusal.text("de") == ("Unbekannter Schlüssel, und die Schlüssel des Hubs ließen "
                                  "sich nicht abrufen: Der Hub hat nicht rechtzeitig geantwortet "
                                  "(key-unknown)")


def test_a_code_the_catalog_does_not_know_keeps_its_own_words():
    refusal = Refusal("quantum-mismatch", "a future reason")
    assert refusal.text("de") == "quantum-mismatch: a future reason"
