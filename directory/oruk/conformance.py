"""The ORUK 3.0 JSON schema as a checker, for tests and benchmarks only.

It needs `jsonschema` and `referencing`, which are test dependencies: the importer never uses
this module, so what an import accepts does not depend on which packages are installed.
"""

import functools
import json
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
SCHEMA_BASE_URL = "https://openreferraluk.org/specifications/3.0/schema/"


@functools.cache
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append(
            (SCHEMA_BASE_URL + path.name, Resource.from_contents(contents, default_specification=DRAFT202012))
        )
    return Registry().with_resources(resources)


@functools.cache
def validator(schema_name: str) -> Draft202012Validator:
    """A validator for one ORUK schema ("service.json"…), with `$ref`s and formats checked."""
    return Draft202012Validator(
        {"$ref": SCHEMA_BASE_URL + schema_name},
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def schema_problems(schema_name: str, record) -> list[str]:
    """What is wrong with `record` by the ORUK schema, as short messages (empty if valid)."""
    problems = []
    errors = sorted(validator(schema_name).iter_errors(record), key=lambda e: list(map(str, e.absolute_path)))
    for error in errors:
        where = "/".join(str(part) for part in error.absolute_path)
        message = error.message if len(error.message) <= 120 else error.message[:117] + "…"
        problems.append(f"{where}: {message}" if where else message)
    return problems
