"""The free text of a case: the fields a writer of the letter typed, the only ones redaction
rewrites and the leak check searches by their form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum
from typing import Any

from pydantic import BaseModel

from ...case.model import Case

# The free text of a case: what a writer of the letter typed. Everything else (the header, the
# organization, the reviewer's qualifications, guideline citations, the fixed wording a template
# puts around a request) is structure, printed as the guidelines and the form write it, and is
# never rewritten: an injured worker named Hand must not turn "Forearm, Wrist, and Hand
# Complaints" into something the guidelines never said.
FREE_TEXT = re.compile(
    r"summary\[\d+\]"
    r"|items\[\d+\]\.(?:request|rationale\[\d+\]|modification\.(?:original_request|authorized)"
    r"|(?:claims_administrator|reviewer)_basis\.text)"
)


def is_free_text(path: str) -> bool:
    """Whether the field at this path is free text (redacted) rather than structure (kept)."""
    return FREE_TEXT.fullmatch(path) is not None


def case_texts(case: Case) -> Iterator[tuple[str, str]]:
    """Every free text a letter prints, with its field path."""
    data = case.model_copy(update={"parties": None, "header": None})

    def walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, Enum):
            return
        if isinstance(value, str):
            if is_free_text(path):
                yield path, value
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                yield from walk(getattr(value, name), f"{path}.{name}" if path else name)
        elif isinstance(value, list):
            for index, element in enumerate(value):
                yield from walk(element, f"{path}[{index}]")

    yield from walk(data, "")
