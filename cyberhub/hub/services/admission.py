"""What may be stored at all: an object within the size limit that is valid STIX 2.1. Applied to
what towns and clients POST and to what the hub itself publishes, alike."""

from __future__ import annotations

from typing import Iterable

from cyberhub.core import stix, timestamps
from cyberhub.core.validation import validate
from cyberhub.hub.services.statuses import declared_version, detail
from cyberhub.hub.storage.objects import Candidate


def object_problem(raw: stix.RawObject, max_object_size: int) -> str | None:
    """Why this object cannot be stored, as "code: message", or None."""
    if len(raw.text) > max_object_size:
        return (f"object-too-large: the object is {len(raw.text)} characters; the limit is "
                f"{max_object_size}")
    problem = validate(raw.value)
    if problem:
        return f"invalid-stix: {problem}"
    for name in ("created", "modified"):
        if timestamps.too_precise(raw.value.get(name)):
            return (f"too-precise: '{name}' has more than {timestamps.MAX_FRACTION_DIGITS} "
                    f"fraction digits; versions are kept to the nanosecond")
    return None


def check_objects(
    raw_objects: Iterable[stix.RawObject], *, max_object_size: int
) -> tuple[list[Candidate], list[dict[str, str]]]:
    """Split objects into candidates for the repository and failures (status details)."""
    candidates: list[Candidate] = []
    failures: list[dict[str, str]] = []
    for raw in raw_objects:
        problem = object_problem(raw, max_object_size)
        if problem:
            failures.append(detail(raw.value, declared_version(raw.value), problem))
        else:
            candidates.append(Candidate.of(raw))
    return candidates, failures
