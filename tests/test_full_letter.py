"""The full letter as sent: addresses, the result in plain words, what it means, the appeal
rights, the reviewer's qualifications without the name; then the determination."""

from __future__ import annotations

import lxml.html
import pytest
from conftest import EXAMPLES

import imrgen
from imrgen.case.loading import load_case

TEXT_FORMATS = ["html", "txt", "md"]


@pytest.fixture
def case() -> imrgen.Case:
    return load_case(EXAMPLES / "draft-full-letter.yaml")


def flat(data: bytes) -> str:
    """The words of a letter in any text format, markup aside."""
    text = data.decode("utf-8")
    if text.startswith("<!DOCTYPE html>"):
        root = lxml.html.document_fromstring(data)
        for br in root.iter("br"):
            br.tail = " " + (br.tail or "")
        text = root.find("body").text_content()
    return " ".join(text.replace("\\", "").split())


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_full_letter_has_every_part(case: imrgen.Case, fmt: str) -> None:
    text = flat(imrgen.render(case, fmt, imrgen.RenderOptions(letter="full")))
    assert "December 9, 2016" in text
    assert "Dana Q. Sample 1200 Example Avenue, Apt 4 Fresno, CA 93721" in text
    assert "Dr. Leslie Fictional Orthopedic Surgery 77 Medical Plaza" in text
    assert "Golden State Claims Services PO Box 5500" in text
    assert (
        "MRI of the right shoulder without contrast: the denial is upheld. This treatment is not"
        " medically necessary." in text
    )
    assert "binding on all parties" in text
    assert "verified petition with the Workers' Compensation Appeals Board within 30 days" in text
    assert "Labor Code section 4610.6(h)" in text
    assert "Specialty: Family Practice. Licensed in: California,North Carolina." in text
    assert text.index("Your right to appeal") < text.index("HOW THE IMR FINAL DETERMINATION")
    # The return address, a reference block and a salutation, in that order, before the title.
    reference = "Independent Medical Review case: CM16-0213037 Injured on: 10/13/2016"
    assert text.index("Independent Review Organization") < text.index("December 9, 2016")
    assert text.index(reference) < text.index("Dear Dana Q. Sample:")
    assert text.index("Dear Dana Q. Sample:") < text.index("has completed the Independent")
    for secret in ("Pat Confidential", "1968", "WC-2016-0048213", "555-0142", "dana.sample@"):
        assert secret not in text


def test_overturned_items_read_as_medically_necessary(case: imrgen.Case) -> None:
    case.items[0].decision = imrgen.Decision.OVERTURNED
    text = flat(imrgen.render(case, "txt", imrgen.RenderOptions(letter="full")))
    assert (
        "MRI of the right shoulder without contrast: the denial is overturned. This treatment is"
        " medically necessary." in text
    )


def test_represented_worker_gets_the_letter_through_the_attorney(case: imrgen.Case) -> None:
    assert case.parties is not None
    case.parties.attorney = imrgen.case.model.Attorney(
        name="Alex Counsel", firm="Counsel & Co.", address="9 Law St\nFresno, CA 93721"
    )
    text = flat(imrgen.render(case, "txt", imrgen.RenderOptions(letter="full")))
    assert "Attorney for the injured worker Alex Counsel Counsel & Co. 9 Law St" in text
    assert "Dana Q. Sample" not in text


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_full_letter_reads_back_as_the_determination(
    case: imrgen.Case, fmt: str, lang: str
) -> None:
    """The text of a letter does not carry every party field (birth date, phone ...), so a full
    letter reads back as its determination; PDF and DOCX carry the whole case inside."""
    data = imrgen.render(case, fmt, imrgen.RenderOptions(letter="full", lang=lang))
    assert imrgen.parse(f"letter.{fmt}", data=data) == case.model_copy(update={"parties": None})


def test_spanish_full_letter(case: imrgen.Case) -> None:
    text = flat(imrgen.render(case, "txt", imrgen.RenderOptions(letter="full", lang="es")))
    # The sender's return address (styles/look.yaml: letterhead.lines), then the date.
    sender = "Independent Review Organization Independent Medical Review Unit P.O. Box 0000,"
    assert text.startswith(sender)
    assert text.index("9 de diciembre de 2016") < text.index("Caso de Revisión Médica")
    assert "dentro de los 30 días siguientes" in text
    assert "se confirma la denegación. Este tratamiento no es médicamente necesario." in text


def test_public_body_is_the_default_and_carries_no_party(case: imrgen.Case) -> None:
    text = flat(imrgen.render(case, "txt"))
    assert text.startswith("Case Number: CM16-0213037")
    assert "Dana" not in text and "Fictional" not in text
    assert "Independent Review Organization" not in text and "Injured on" not in text
