"""Advisories: from a campaign (or an analyst's own finding) to the towns that need to act.

- `document`: what an analyst writes, validated (the draft);
- `drafting`: a first draft proposed from a campaign;
- `content`: the hub-signed STIX a published version consists of;
- `audience`: which towns an advisory reaches, decided at query time;
- `lifecycle`: draft, four-eyes approval, publish, revise, withdraw, each in the audit log;
- `delivery`: signed push notifications to towns that registered a callback, with retries.
"""
