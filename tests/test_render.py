"""Rendering: templates per family, case text as data, goldens, errors that name the template."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES

import imrgen
from imrgen.case.loading import load_case
from imrgen.letter.caches import TEMPLATES, RenderCache
from imrgen.letter.templates import TemplateSet

TEXT_FORMATS = ["html", "txt", "md"]
GOLDEN_EXAMPLES = ["CM14-0008529", "CM17-0007300", "2015-tens-physical-therapy-baclofen"]
HOSTILE = [
    "{{ 7 * 7 }} {% if true %}x{% endif %}",
    "<script>alert('x')</script>",
    '<img src="file:///etc/passwd"> http://example.com/x.png',
    "**bold** _it_ `code` [link](http://example.com) # not a heading & &amp; \\ back",
]


def example(stem: str) -> imrgen.Case:
    return load_case(EXAMPLES / f"{stem}.yaml")


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("stem", GOLDEN_EXAMPLES)
def test_golden_output(stem: str, fmt: str, file_regression) -> None:  # type: ignore[no-untyped-def]
    data = imrgen.render(example(stem), fmt)
    file_regression.check(data.decode("utf-8"), extension=f".{fmt}", basename=f"{stem}")


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_case_text_is_data_never_template_or_markup(fmt: str) -> None:
    case = example("CM16-0213037")
    case.summary = [*HOSTILE]
    case.items[0].request = HOSTILE[1]
    case.items[0].rationale = [HOSTILE[0], HOSTILE[2]]
    data = imrgen.render(case, fmt).decode("utf-8")
    if fmt == "html":
        assert "<script>" not in data and "<img" not in data
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in data
        assert "{{ 7 * 7 }}" in data and "49" not in data
    elif fmt == "txt":
        for text in HOSTILE:
            assert text in data.replace("\n", " ")
    else:
        assert "\\<script\\>" in data and "\\*\\*bold\\*\\*" in data
    back = imrgen.parse(f"letter.{fmt}", data=data.encode("utf-8"))
    assert back == case


def test_unknown_format_lists_the_available_ones() -> None:
    with pytest.raises(imrgen.UnknownFormatError) as caught:
        imrgen.get_writer("odt")
    message = str(caught.value)
    assert message.startswith("unknown format 'odt'; available: ")
    assert all(name in message for name in TEXT_FORMATS)


def test_each_edition_has_its_own_wording() -> None:
    case = example("CM14-0008529")
    text_2014 = imrgen.render(case, "txt").decode()
    assert "is Board Certified in Physical Medicine and Rehabilitation, has a subspecialty in" in (
        " ".join(text_2014.split())
    )
    assert "items/services. He/she is familiar" in " ".join(text_2014.split())
    case_2015 = case.model_copy(update={"edition": imrgen.Edition.E2015})
    case_2015.reviewer = imrgen.Reviewer(specialty="Family Practice", licensure="California")
    text_2015 = " ".join(imrgen.render(case_2015, "txt").decode().split())
    assert "Board Certified" not in text_2015
    assert "items/Service. He/she is familiar" in text_2015
    assert "State(s) of Licensure: California Certification(s)/Specialty: Family Practice" in (
        text_2015
    )


def test_header_prints_only_the_fields_present() -> None:
    case = example("CM16-0213037")
    case.header = imrgen.Header(case_number="CM16-0213037")
    text = imrgen.render(case, "txt").decode()
    assert text.startswith("Case Number: CM16-0213037\n\nHOW THE IMR")
    case.header = imrgen.Header()
    assert "<table" not in imrgen.render(case, "html").decode()


def test_missing_field_is_an_error_naming_the_template_and_line(tmp_path: Path) -> None:
    family = tmp_path / "broken"
    family.mkdir()
    (family / "family.yaml").write_text("name: broken\nparent: '2015'\n")
    (family / "letter.html").write_text(
        '{% extends "2015/letter.html" %}\n{% block summary %}\n<p>{{ case.no_such_field }}</p>\n'
        "{% endblock %}\n"
    )
    options = imrgen.RenderOptions(templates=TemplateSet(user_templates=tmp_path), family="broken")
    with pytest.raises(imrgen.RenderError) as caught:
        imrgen.render(example("CM16-0213037"), "txt", options)
    assert "broken/letter.html:3" in str(caught.value)
    assert "no_such_field" in str(caught.value)


def test_template_syntax_error_names_the_template_and_line(tmp_path: Path) -> None:
    family = tmp_path / "typo"
    family.mkdir()
    (family / "family.yaml").write_text("name: typo\nparent: base\n")
    (family / "letter.html").write_text('{% extends "base/letter.html" %}\n\n{% block summary %\n')
    options = imrgen.RenderOptions(templates=TemplateSet(user_templates=tmp_path), family="typo")
    with pytest.raises(imrgen.RenderError, match=r"typo/letter.html:3"):
        imrgen.render(example("CM16-0213037"), "html", options)


def test_unknown_family_lists_the_families() -> None:
    options = imrgen.RenderOptions(family="1999")
    with pytest.raises(imrgen.ImrgenError, match=r"unknown template family '1999'; available: "):
        imrgen.render(example("CM16-0213037"), "html", options)


def test_templates_are_compiled_once_per_family() -> None:
    options = imrgen.RenderOptions(cache=RenderCache())
    for _ in range(3):
        imrgen.render(example("CM16-0213037"), "txt", options)
    assert options.cache.made(TEMPLATES) == 1


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_same_case_same_bytes_in_another_process(fmt: str) -> None:
    path = EXAMPLES / "CM16-0246487.yaml"
    here = imrgen.render(path, fmt)
    code = "import sys, imrgen; sys.stdout.buffer.write(imrgen.render(sys.argv[1], sys.argv[2]))"
    there = subprocess.run(
        [sys.executable, "-c", code, str(path), fmt], capture_output=True, check=True
    ).stdout
    assert here == there == imrgen.render(path, fmt)


def test_the_stylesheet_is_inlined_verbatim() -> None:
    """Entities are not decoded inside <style>: an escaped quote would break the font rule."""
    html = imrgen.render(example("CM16-0213037"), "html").decode()
    css = (TemplateSet().styles / "letter.css").read_text()
    assert f"<style>{css}</style>" in html
    assert 'font-family: "Liberation Serif"' in html
