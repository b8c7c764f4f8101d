"""A MISP event, made by MISP's own maintained converter (`misp-stix`) from the indicators as a
STIX 2.1 bundle: what MISP's STIX import would make of them, without a mapping of our own.

The bundle is read with the converter's parser for STIX that did not come from MISP, chosen
here rather than guessed from the objects' labels (a label is something any producer writes).
Its id, and so the event's uuid, is derived from what is exported (a collection, a campaign, an
advisory): importing a later export into MISP updates the same event instead of adding one.
The converter is imported when an event is made, not with the command line.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

_NAMESPACE = uuid.UUID("3f8e2a61-7b0c-4d59-a1e4-5c6b7d8e9f10")


class MispError(ValueError):
    pass


def _reason(parser: Any) -> str:
    """The converter's first complaint, in one line."""
    for messages in (getattr(parser, "errors", None), getattr(parser, "warnings", None)):
        for found in (messages or {}).values():
            for message in found:
                return " ".join(str(message).split())[:300]
    return "no reason given"


def event_uuid(key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, key))


def render(indicators: list[dict[str, Any]], *, key: str, title: str) -> str:
    """The MISP event as JSON, `{"Event": {...}}` as MISP's REST API and feeds carry it."""
    from misp_stix_converter import ExternalSTIX2toMISPParser
    from misp_stix_converter.tools import load_stix2_content

    bundle = {"type": "bundle", "id": f"bundle--{event_uuid(key)}", "objects": indicators}
    try:
        loaded = load_stix2_content(bundle)
        parser = ExternalSTIX2toMISPParser()
        parser.load_stix_bundle(loaded)
        parser.parse_stix_bundle(single_event=True, title=title, distribution=0)
    except Exception as exc:  # the converter raises its own exceptions and stix2's
        raise MispError(f"the MISP converter refused the indicators: {exc}") from None
    event = parser.misp_event
    # The converter sets aside what it cannot read and goes on; an event that silently lacks
    # an indicator would be worse than none.
    made = {str(item.uuid) for item in list(event.attributes) + list(event.objects)}
    missing = [i["id"] for i in indicators if i["id"].split("--", 1)[-1] not in made]
    if missing:
        raise MispError(f"the MISP converter could not read {len(missing)} indicator(s), "
                        f"the first {missing[0]}: {_reason(parser)}")
    # PyMISP serialises its nested entities itself, in to_json.
    return json.dumps({"Event": json.loads(event.to_json())}, ensure_ascii=False, indent=1)
