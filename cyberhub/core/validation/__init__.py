"""STIX 2.1 object validation, fast enough for the ingest hot path.

`validate(obj)` returns the first problem as a sentence naming the property, or None. It rejects
exactly what stix2-validator 3.x reports as errors for the object on its own with
`ValidationOptions(version="2.1")`: the bundled STIX 2.1 JSON schemas, the "MUST" checks
(real calendar dates, timestamp order, granular-marking selectors, references inside
observed-data, IANA media types and character sets, language codes, CPE names, UUID versions)
and the STIX pattern of every indicator with pattern_type "stix" (`cyberhub.core.patterns`). The
"SHOULD" checks are warnings there and are not applied here. Custom objects and properties are
accepted as the validator accepts them by default.

The hub deliberately differs in four ways, always by refusing
(tests/core/validation/test_equivalence.py names them): bundles as objects; objects whose
spec_version is not "2.1"; `cpe` values that are not CPE 2.3 formatted strings (the validator
also accepts the URI and WFN bindings); and STIX
patterns nested more than 100 parentheses deep (cyberhub.core.patterns.MAX_NESTING).

Where stix2-validator raises an exception instead of answering (it does on many malformed
objects, in its MUST and SHOULD code alike), the object is refused here too, with a message.

The checks follow the schemas literally, including their quirks (JSON Schema patterns are
searched, not anchored, so `$` also matches before a final line break), because the promise is
equivalence; comments mark the places where the quirk is the reason for the code.

The modules, each importing only modules named before it: `registries` (code lists copied from
stix2-validator), `values` (JSON values and the schemas' regular expressions), `checks` (checks
of single values and schema fragments), `objects` (SDO and SRO schemas),
`observable_extensions` and `observables` (SCO schemas), `markings` (marking-definition),
`dispatch` (which schema checks an object), `cpe` (CPE 2.3 names), `shoulds` and `musts`
(stix2-validator's Python checks); `validate` here puts them together.
"""

from __future__ import annotations

from typing import Any

from cyberhub.core.validation.dispatch import schema_problem, type_problem
from cyberhub.core.validation.musts import musts_problem
from cyberhub.core.validation.shoulds import Crash
from cyberhub.core.validation.values import show


def validate(obj: Any) -> str | None:
    """The first reason this is not a valid STIX 2.1 object, or None."""
    if not isinstance(obj, dict):
        return "an object must be a JSON object"
    if "type" not in obj:
        return "'type' is required"
    if "id" not in obj:
        return "'id' is required"
    kind = obj["type"]
    problem = type_problem(kind)
    if problem:
        return problem
    # Intended differences from stix2-validator (see the module docstring).
    if kind == "bundle":
        return "a bundle cannot be stored as an object; send its objects in the envelope"
    if "spec_version" in obj and obj["spec_version"] != "2.1":
        return f"'spec_version' must be '2.1', got {show(obj['spec_version'])}"
    try:
        return schema_problem(obj) or musts_problem(obj)
    except Crash as crash:
        return str(crash)
    except RecursionError:
        return "the object is nested too deeply"
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
        # Only nested objects that stix2-validator itself cannot check get here.
        return f"the object cannot be checked ({type(error).__name__}: {error})"
