"""Suricata rules: checked against the rule language's grammar here (the Debian release these
machines run ships no `suricata` package), and by `suricata -T` wherever a suricata binary and
its configuration are installed."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cyberhub.core import timestamps
from cyberhub.hub.exports import service, sources, suricata
from hub.exports.conftest import INDICATORS

# The header: action, protocol, source, source port, direction, destination, port.
_HEADER = re.compile(
    r"^(alert|pass|drop|reject) (ip|tcp|udp|icmp|http|dns|tls) (\S+) (any|\d+) (->|<>) "
    r"(\S+) (any|\d+) \((.*)\)$")
# An option: a keyword alone, or with a value that is a quoted string (only \" \; \\ escaped)
# or runs unquoted to the semicolon.
_OPTION = re.compile(r'([a-z0-9_.]+)(?::\s*("(?:[^"\\;]|\\["\\;])*"|[^";]+))?;\s*')
STICKY = {"dns.query": "dns", "tls.sni": "tls", "http.host": "http", "http.uri": "http"}
TRANSFORMS = {"dotprefix"}
MODIFIERS = {"nocase", "endswith", "startswith", "bsize"}
OTHERS = {"msg", "sid", "rev", "metadata", "flow"}


def _address(text: str) -> None:
    if text == "any" or text.startswith("$"):
        return
    assert text.startswith("[") and text.endswith("]"), text
    for part in text[1:-1].split(","):
        ipaddress.ip_network(part, strict=False)


def _content(quoted: str) -> bytes:
    """The bytes a content string stands for; fails on anything the language forbids."""
    assert quoted.startswith('"') and quoted.endswith('"'), quoted
    body, out = quoted[1:-1], b""
    for n, part in enumerate(body.split("|")):
        if n % 2:
            out += bytes.fromhex(part)
        else:
            assert not set(part) & set('";\\'), part
            out += part.encode("ascii")
    assert body.count("|") % 2 == 0, body
    return out


def check(text: str, *, base: int) -> list[dict]:
    """Every line a comment or a rule the grammar accepts; returns the rules' options."""
    rules, sids = [], set()
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        header = _HEADER.match(line)
        assert header, line
        protocol, body = header.group(2), header.group(8)
        _address(header.group(3))
        _address(header.group(6))
        options = _OPTION.findall(body)
        assert "".join(f"{k}:{v};" if v else f"{k};" for k, v in options).replace(" ", "") \
            == body.replace(" ", ""), body  # nothing in the body that is no option
        found: dict = {"contents": []}
        buffer = last = None
        for keyword, value in options:
            if keyword in STICKY:
                assert STICKY[keyword] == protocol, line
                buffer, last = keyword, None
            elif keyword in TRANSFORMS:
                assert buffer is not None, line
            elif keyword == "content":
                last = [buffer, _content(value), set()]
                found["contents"].append(last)
            elif keyword in MODIFIERS:
                assert last is not None, line  # a modifier follows a content
                if keyword == "bsize":
                    assert int(value) == len(last[1]), line
                last[2].add(keyword)
            else:
                assert keyword in OTHERS, keyword
                assert keyword not in found, line
                found[keyword] = value
        assert {"msg", "sid", "rev"} <= set(found), line
        _content(found["msg"])  # the same escaping rules
        sid = int(found["sid"])
        assert sid >= base and sid not in sids, line
        sids.add(sid)
        found["protocol"] = protocol
        found["header"] = line.split(" (", 1)[0]
        rules.append(found)
    return rules


def _export(db, **options) -> str:
    with db.session() as session:
        return service.export(session, sources.OPERATOR, "collection", "indicators",
                              "suricata", service.Options(now_us=timestamps.now_us(),
                                                          **options)).content


def test_rules_cover_addresses_domains_and_urls_and_follow_the_grammar(db, stored_indicators):
    rules = check(_export(db, sid_base=1_900_000), base=1_900_000)
    assert sorted(int(rule["sid"]) for rule in rules) == list(range(1_900_000, 1_900_006))
    by_header = {rule["header"]: rule for rule in rules}
    c2 = by_header["alert ip [51.75.72.240] any <> any any"]
    assert stored_indicators["c2"]["id"] in c2["msg"]
    assert c2["metadata"] == f"cyberhub_indicator {stored_indicators['c2']['id']}"
    assert "alert ip [2a01:4f8:1c17:9a2b::7] any <> any any" in by_header
    dns = next(r for r in rules if r["protocol"] == "dns")
    assert dns["contents"] == [["dns.query", b".rechnung-download.example",
                                {"nocase", "endswith"}]]
    tls = next(r for r in rules if r["protocol"] == "tls")
    assert tls["contents"][0][:2] == ["tls.sni", b".rechnung-download.example"]
    http = next(r for r in rules if r["protocol"] == "http")
    assert [c[:2] for c in http["contents"]] == [["http.host", b"rechnung-download.example"],
                                                 ["http.uri", b"/invoice.php?id=7"]]
    assert stored_indicators["phishing"]["id"] in http["metadata"]
    everything = " ".join(rule["header"] for rule in rules)
    for left_out in ("45.9.148.21", "91.215.85.17", "193.42.33.9"):
        assert left_out not in everything


def test_characters_of_the_rule_language_in_a_url_become_hex():
    hostile = {"id": "indicator--00000000-0000-4000-8000-000000000009",
               "name": 'Rechnung"; sid:1; (x)\\', "pattern":
               "[url:value = 'http://c2.example/a;b\"c|d\\\\e?q=\u00fc']"}
    rules = check(suricata.render([hostile]), base=suricata.DEFAULT_SID_BASE)
    host, uri = rules[0]["contents"]
    assert uri[1] == '/a;b"c|d\\e?q=\u00fc'.encode()
    assert '"' not in rules[0]["msg"][1:-1] and ";" not in rules[0]["msg"]


def test_sids_must_fit():
    last = suricata.render([INDICATORS["c2"]], sid_base=suricata.MAX_SID)
    assert f"sid:{suricata.MAX_SID};" in last  # one rule: the last sid there is
    with pytest.raises(suricata.RuleError, match="do not fit"):
        suricata.render([INDICATORS["phishing"]], sid_base=suricata.MAX_SID - 1)  # three


def test_the_same_indicators_give_the_same_rules():
    indicators = [INDICATORS["c2"], INDICATORS["phishing"]]
    assert suricata.render(indicators) == suricata.render(list(reversed(indicators)))


@pytest.mark.skipif(shutil.which("suricata") is None
                    or not Path("/etc/suricata/suricata.yaml").exists(),
                    reason="no suricata installed (Debian bookworm has no package for it)")
def test_suricata_accepts_the_rules(db, stored_indicators, tmp_path):
    rules = tmp_path / "cyberhub.rules"
    rules.write_text(_export(db), encoding="utf-8")
    done = subprocess.run(["suricata", "-T", "-c", "/etc/suricata/suricata.yaml", "-S",
                           str(rules), "-l", str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
