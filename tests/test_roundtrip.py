"""parse(render(case, fmt)) == case, for every format that has a reader: the formats come from
the reader registry, so a new reader is round-tripped without a new test. PDF and DOCX are
written without the case inside, so that their text is what is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REAL_LETTERS, letter_id
from hypothesis import HealthCheck, given, settings
from strategies import case as cases

import imrgen
from imrgen.readers import readers

TEXT_ONLY = imrgen.RenderOptions(embed_data=False)


def readable_formats() -> list[str]:
    """Every format imrgen both writes and reads."""
    readable = {r.name for r in readers()}
    return sorted(f for f in imrgen.formats() if f in readable)


READABLE = readable_formats()
# Formats whose writing and reading take some milliseconds, not a hundred (PDF's layout and
# text extraction): these run many more generated cases.
CHEAP = [f for f in READABLE if f != "pdf"]


def roundtrip(case: imrgen.Case, fmt: str) -> imrgen.Case:
    data = imrgen.render(case, fmt, TEXT_ONLY)
    return imrgen.parse(f"letter{imrgen.get_writer(fmt).suffix}", data=data)


def test_the_round_trips_cover_every_letter_format() -> None:
    assert {"docx", "html", "md", "pdf", "txt"} <= set(READABLE)


@pytest.mark.parametrize("fmt", READABLE)
@pytest.mark.parametrize("path", REAL_LETTERS, ids=letter_id)
def test_real_letters_round_trip(
    path: Path, fmt: str, parsed_letters: dict[Path, imrgen.Case]
) -> None:
    case = parsed_letters[path]
    assert roundtrip(case, fmt) == case


def _examples(variable: str, default: int) -> int:
    return int(os.environ.get(variable, str(default)))


ROUNDTRIP_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@pytest.mark.parametrize("fmt", CHEAP)
@settings(ROUNDTRIP_SETTINGS, max_examples=_examples("IMRGEN_EXAMPLES", 150))
@given(case=cases())
def test_generated_cases_round_trip(fmt: str, case: imrgen.Case) -> None:
    assert roundtrip(case, fmt) == case


@pytest.mark.parametrize("fmt", sorted(set(READABLE) - set(CHEAP)))
@settings(ROUNDTRIP_SETTINGS, max_examples=_examples("IMRGEN_PDF_EXAMPLES", 15))
@given(case=cases())
def test_generated_cases_round_trip_through_layout(fmt: str, case: imrgen.Case) -> None:
    assert roundtrip(case, fmt) == case


@pytest.mark.parametrize(
    ("fmt", "engine"), [(fmt, "typst") for fmt in READABLE] + [("pdf", "weasyprint")]
)
def test_page_breaks_the_case_asks_for_read_back(fmt: str, engine: str) -> None:
    """A section the case starts on a new page: every format prints the break and reads it
    back from its text alone (the PDF from where its pages break, with either engine)."""
    from conftest import EXAMPLES

    case = imrgen.load_case(EXAMPLES / "CM16-0213037.yaml")
    assert case.page_breaks_before == []
    options = imrgen.RenderOptions(embed_data=False, engine=engine)
    for breaks in (["summary"], ["issues"], ["summary", "issues"]):
        paged = case.model_copy(update={"page_breaks_before": [imrgen.Section(b) for b in breaks]})
        data = imrgen.render(paged, fmt, options)
        back = imrgen.parse(f"letter{imrgen.get_writer(fmt).suffix}", data=data)
        assert back == paged, breaks
        assert [s.value for s in back.page_breaks_before] == breaks
