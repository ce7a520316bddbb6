"""Languages: catalogs complete and current, Spanish letters render and read back, dates and
numbers in the letter's locale, the case's own text untouched."""

from __future__ import annotations

import html
import io
import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from conftest import EXAMPLES, ROOT

import imrgen
from imrgen.case.loading import load_case
from imrgen.letter.i18n import format_numeric_date, languages, locale_dir, parse_numeric_date
from imrgen.letter.templates import TEMPLATES_DIR
from imrgen.readers.extract import Phrases

TEXT_FORMATS = ["html", "txt", "md"]


def _messages(directory: Path, method: str, options: dict[str, str]) -> set[str]:
    pattern = "**.html" if method == "jinja2" else "**.py"
    found = extract_from_dir(
        str(directory), method_map=[(pattern, method)], options_map={pattern: options}
    )
    return {m if isinstance(m, str) else m[0] for _, _, m, _, _ in found}


def template_messages() -> set[str]:
    return _messages(TEMPLATES_DIR, "jinja2", {"extensions": "jinja2.ext.i18n"})


def source_messages() -> set[str]:
    """Every message a letter can print: the templates' and the writers' own (page numbers)."""
    return template_messages() | _messages(ROOT / "imrgen", "python", {})


def test_spanish_is_available() -> None:
    assert languages() == ["en", "es"]


def test_the_catalog_template_is_current() -> None:
    pot = read_po(io.BytesIO((locale_dir() / "imrgen.pot").read_bytes()))
    assert {m.id for m in pot if m.id} == source_messages()


@pytest.mark.parametrize("lang", [lang for lang in languages() if lang != "en"])
def test_no_message_is_untranslated(lang: str) -> None:
    path = locale_dir() / lang / "LC_MESSAGES" / "imrgen.po"
    catalog = read_po(io.BytesIO(path.read_bytes()), locale=lang)
    translated = {m.id: m for m in catalog if m.id}
    missing = source_messages() - set(translated)
    assert not missing
    for msgid, message in translated.items():
        assert message.string, f"untranslated: {msgid!r}"
        assert not message.fuzzy, f"fuzzy: {msgid!r}"
        for placeholder in ("%(name)s", "%(organization)s", "%(request)s", "%(citations)s"):
            assert (placeholder in msgid) == (placeholder in message.string), msgid


def test_the_parser_reads_only_phrases_the_templates_write() -> None:
    assert set(Phrases.all()) <= template_messages()


@pytest.mark.parametrize(("lang", "text"), [("en", "12/09/2016"), ("es", "09/12/2016")])
def test_header_dates_in_the_letters_locale(lang: str, text: str) -> None:
    assert format_numeric_date(date(2016, 12, 9), lang) == text
    assert parse_numeric_date(text, lang) == date(2016, 12, 9)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("stem", ["CM17-0007300", "CM14-0008529", "CM16-0246487"])
def test_a_spanish_letter_renders_and_reads_back(stem: str, fmt: str) -> None:
    case = load_case(EXAMPLES / f"{stem}.yaml")
    data = imrgen.render(case, fmt, imrgen.RenderOptions(lang="es"))
    text = data.decode("utf-8")
    assert "RESUMEN CLÍNICO DEL CASO" in text
    assert "CLINICAL CASE SUMMARY" not in text
    assert case.summary[0][:60] in " ".join(text.split()).replace("\\", "")
    assert imrgen.parse(f"letter.{fmt}", data=data) == case


def test_spanish_header_and_decisions() -> None:
    case = load_case(EXAMPLES / "CM16-0246487.yaml")
    text = imrgen.render(case, "txt", imrgen.RenderOptions(lang="es")).decode()
    assert "Fecha de la decisión: 31/01/2017" in text
    assert "Prioridad: Estándar" in text
    assert ": Revocada" in " ".join(text.split())


def test_unknown_language_is_named() -> None:
    case = load_case(EXAMPLES / "CM16-0213037.yaml")
    with pytest.raises(imrgen.ImrgenError, match=r"unknown language 'fr'; available: en, es"):
        imrgen.render(case, "txt", imrgen.RenderOptions(lang="fr"))


def test_babel_config_is_in_the_repository() -> None:
    assert "jinja2.ext.i18n" in (ROOT / "babel.cfg").read_text()
    assert Path(ROOT / "scripts" / "update-catalogs").is_file()


# The Spanish words, written here and not taken from the catalog: the parser is built from the
# catalog, so a round trip alone cannot see two words swapped there.
SPANISH_DECISIONS = {"upheld": "Confirmada", "overturned": "Revocada"}


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_spanish_letters_print_each_items_decision_in_the_expected_word(fmt: str) -> None:
    case = load_case(EXAMPLES / "CM16-0246487.yaml")
    assert {i.decision.value for i in case.items} == set(SPANISH_DECISIONS)  # both words
    data = imrgen.render(case, fmt, imrgen.RenderOptions(lang="es")).decode()
    if fmt == "html":
        data = html.unescape(re.sub(r"<[^>]+>", "", data))
    text = " ".join(data.replace("**", "").replace("\\", "").split())
    for item in case.items:
        assert f"{item.request}: {SPANISH_DECISIONS[item.decision.value]}" in text
    for fixed in (
        "ASUNTOS, DECISIONES Y FUNDAMENTOS DE LA IMR",
        "Guía del Administrador de Reclamos:",
        "Guía de MAXIMUS:",
        "Fundamento de la decisión:",
    ):
        assert fixed in text


SPANISH_LETTER = """\
CÓMO SE TOMÓ LA DETERMINACIÓN FINAL DE LA IMR

MAXIMUS Federal Services envió el expediente completo del caso a un revisor experto.

RESUMEN CLÍNICO DEL CASO

Resumen.

ASUNTOS, DECISIONES Y FUNDAMENTOS DE LA IMR

Unidad TENS: Confirmada

Guía del Administrador de Reclamos: Decisión basada en una cita ajena al MTUS ODG.

Guía de MAXIMUS: Decisión basada en el MTUS Chronic Pain Medical Treatment 2016.

Fundamento de la decisión: No es médicamente necesario.

Fisioterapia: Revocada

Guía del Administrador de Reclamos: Decisión basada en una cita ajena al MTUS ODG.

Guía de MAXIMUS: Decisión basada en una cita ajena al MTUS ODG

Fundamento de la decisión: Es médicamente necesario.
"""


def test_a_spanish_letter_written_by_hand_reads_its_decisions() -> None:
    case = imrgen.parse("carta.txt", data=SPANISH_LETTER.encode())
    assert [(i.request, i.decision.value) for i in case.items] == [
        ("Unidad TENS", "upheld"),
        ("Fisioterapia", "overturned"),
    ]
    assert case.items[0].reviewer_basis.mtus[0].part == "Chronic Pain Medical Treatment"
    assert case.items[1].reviewer_basis.non_mtus == "ODG"
    assert case.items[1].reviewer_basis.non_mtus_full_stop is False
    assert case.items[1].rationale == ["Es médicamente necesario."]
