"""parse(render(case, fmt)) == case, for every format that has a reader."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REAL_LETTERS, letter_id
from hypothesis import HealthCheck, given, settings
from strategies import case as cases

import imrgen
from imrgen.readers import readers

TEXT_FORMATS = ["html", "txt", "md"]


def _readable_formats() -> list[str]:
    readable = {r.name for r in readers()}
    return [f for f in imrgen.formats() if f in readable]


def roundtrip(case: imrgen.Case, fmt: str) -> imrgen.Case:
    data = imrgen.render(case, fmt)
    return imrgen.parse(f"letter.{imrgen.get_writer(fmt).suffix.lstrip('.')}", data=data)


def test_every_text_format_has_a_reader() -> None:
    assert set(TEXT_FORMATS) <= set(_readable_formats())


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("path", REAL_LETTERS, ids=letter_id)
def test_real_letters_round_trip(
    path: Path, fmt: str, parsed_letters: dict[Path, imrgen.Case]
) -> None:
    case = parsed_letters[path]
    assert roundtrip(case, fmt) == case


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@settings(
    max_examples=int(os.environ.get("IMRGEN_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(case=cases())
def test_generated_cases_round_trip(fmt: str, case: imrgen.Case) -> None:
    assert roundtrip(case, fmt) == case
