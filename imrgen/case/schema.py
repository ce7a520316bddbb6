"""The JSON Schema of a case file, for `imrgen schema`, `imrgen new` and editors."""

from __future__ import annotations

import json
from typing import Any

from .model import Case


def case_schema() -> dict[str, Any]:
    schema = Case.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "IMR determination case (imrgen)"
    return schema


def schema_text() -> str:
    return json.dumps(case_schema(), indent=2) + "\n"
