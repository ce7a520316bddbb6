"""The case carried inside a letter file (PDF attachment, DOCX custom XML part), so that a letter
imrgen wrote reads back exactly, whatever its layout did to the text."""

from __future__ import annotations

import json

from pydantic import ValidationError

from ..errors import ParseError
from .model import Case

ATTACHMENT_NAME = "imrgen-case.json"
MEDIA_TYPE = "application/json"


def case_to_json(case: Case) -> bytes:
    """Canonical JSON: sorted keys and no free white space, so one case gives one byte string."""
    data = case.model_dump(mode="json", exclude_none=True)
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def case_from_json(data: bytes, source: str) -> Case:
    try:
        return Case.model_validate_json(data)
    except ValidationError as exc:
        raise ParseError.from_validation(source, exc.errors(), "embedded case data: ") from None
