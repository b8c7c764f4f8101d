"""The values a pattern compares for equality, as both the index and the blocklists read them."""

from cyberhub.core.pattern_values import equality_values


def test_equality_values_from_the_parse_tree():
    pattern = ("[ipv4-addr:value IN ('45.1.1.1', '45.1.1.2')] OR [file:hashes.'SHA-256' = 'ab']"
               " OR [email-message:subject = 'Rechnung \\'dringend\\'']"
               " OR [domain-name:value != 'x.de']")
    values = equality_values(pattern)
    assert ("ipv4-addr", ["value"], "45.1.1.1") in values
    assert ("ipv4-addr", ["value"], "45.1.1.2") in values
    assert ("file", ["hashes", "SHA-256"], "ab") in values
    assert ("email-message", ["subject"], "Rechnung 'dringend'") in values
    assert not any(v[0] == "domain-name" for v in values)  # != says nothing
    assert equality_values("[ipv4-addr:value = ") is None
