"""The console's side of the one catalog: every key a template or a page uses is present, and
every value a page turns into a key has its text."""

from __future__ import annotations

import re
from pathlib import Path

import cyberhub.hub.console
from cyberhub.core import messages

SOURCES = Path(cyberhub.hub.console.__file__).parent
TEMPLATES = SOURCES / "templates"
# A key written out whole; one followed by `~` is a prefix the template completes from data.
USED = re.compile(r"""\bt\(\s*["']([a-z_]+\.[A-Za-z_]+)["'](?!\s*~)""")
PREFIXED = re.compile(r"""\bt\(\s*["']([a-z_]+\.)["']\s*~""")


def test_every_key_the_console_uses_is_in_the_catalog():
    used = set()
    for path in list(TEMPLATES.glob("*.html")) + list(SOURCES.glob("*.py")):
        used |= set(USED.findall(path.read_text(encoding="utf-8")))
    assert used, "no keys found: the pattern is wrong"
    assert used - set(messages.catalog()) == set()


def test_keys_built_from_values_cover_every_value():
    """Templates build `land.XX`, `role.X` and `lang.X` from data: every value has a text."""
    from cyberhub.hub.accounts import ROLES

    catalog = messages.catalog()
    assert {f"role.{role}" for role in ROLES} <= set(catalog)
    assert {f"lang.{code}" for code in messages.LANGUAGES} <= set(catalog)
    lands = {"BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN",
             "ST", "SH", "TH"}
    assert {key.split(".")[1] for key in catalog if key.startswith("land.")} == lands


def test_vocabularies_the_pages_show_have_a_text_for_every_value():
    """Keys built from a service's values (`severity.high`, `campaigns.view_open`, ...)."""
    from cyberhub.hub import inbox, situation
    from cyberhub.hub.advisories import document
    from cyberhub.hub.correlation import report, verdicts

    catalog = set(messages.catalog())
    wanted = ({f"severity.{s}" for s in document.SEVERITIES}
              | {f"campaigns.view_{v}" for v in report.VIEWS}
              | {f"verdict.{v}" for v in verdicts.VERDICTS}
              | {f"overview.window_{w}" for w in situation.WINDOWS}
              | {f"overview.missing_{m}" for m in ("notification", "final")}
              | {f"advisory_state.{s}" for s in ("draft", "approved", "published", "withdrawn")}
              | {f"indicator_kind.{k}" for k in document.KINDS}
              | {f"stage.{s}" for s in inbox.STAGES} | {f"triage.{s}" for s in inbox.TRIAGE}
              | {f"receipt.{s}" for s in ("applied", "withdrawn", "refused")}
              | {f"push.{s}" for s in ("none", "poll only", "pending", "delivered", "failed")}
              | {f"audience.{r}" for r in ("all", "campaign", "sighting", "named")})
    assert wanted - catalog == set()
