"""The parser: golden cases for every real letter, the rules it follows, the errors it gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, REAL_LETTERS, SEEDS, letter_id

import imrgen
from imrgen.extract import split_sections
from imrgen.readers.text import join_lines, paragraphs_from_text


@pytest.mark.parametrize("path", REAL_LETTERS, ids=letter_id)
def test_parsed_case_matches_its_golden(  # type: ignore[no-untyped-def]
    path: Path, parsed_letters: dict[Path, imrgen.Case], data_regression
) -> None:
    case = parsed_letters[path]
    data_regression.check(case.model_dump(mode="json", exclude_defaults=True), basename=path.stem)


def test_the_corpus_has_both_decisions_and_both_modification_forms(
    parsed_letters: dict[Path, imrgen.Case],
) -> None:
    items = [i for c in parsed_letters.values() for i in c.items]
    assert {i.decision for i in items} == set(imrgen.Decision)
    forms = {i.modification.eligible for i in items if i.modification}
    assert forms == set(imrgen.Eligible)
    assert {c.edition for c in parsed_letters.values()} == set(imrgen.Edition)


@pytest.mark.parametrize("path", CORPUS, ids=letter_id)
def test_published_pdfs_carry_a_full_header(
    path: Path, parsed_letters: dict[Path, imrgen.Case]
) -> None:
    header = parsed_letters[path].header
    assert header.case_number == path.stem
    for name in (
        "date_assigned",
        "date_of_injury",
        "decision_date",
        "ur_denial_date",
        "application_received",
        "priority",
    ):
        assert getattr(header, name) is not None, name


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["sustained an injury on 10-", "17-2016. He"], "sustained an injury on 10-17-2016. He"),
        (["a now 45-", "year-old male"], "a now 45-year-old male"),
        (["the proscriptive 15-", "pound lift"], "the proscriptive 15-pound lift"),
        (["anti- ", "inflammatories"], "anti- inflammatories"),
        (["Iontopatch -", "Unspecified"], "Iontopatch - Unspecified"),
        (["wrapped at a ", "space"], "wrapped at a space"),
    ],
)
def test_line_wrapping_is_undone_with_hyphens_kept(lines: list[str], joined: str) -> None:
    assert join_lines(lines) == joined


def test_word_paragraph_marks_in_extracted_text() -> None:
    """Text from Word's PDFs: a blank-looking line holding a space ends a paragraph; empty
    lines (page breaks, spacing) do not."""
    text = "First line of \n\nthe paragraph. \n \nSecond \n\n\n\nparagraph.\n"
    assert paragraphs_from_text(text) == ["First line of the paragraph.", "Second paragraph."]
    assert paragraphs_from_text("One\nparagraph.\n\nTwo.\n") == ["One paragraph.", "Two."]


@pytest.mark.parametrize(
    ("text", "sections"),
    [
        ("Special Studies", ["Special Studies"]),
        ("Diagnostic Criteria, Special Studies", ["Diagnostic Criteria", "Special Studies"]),
        (
            "TENS, chronic pain (transcutaneous electrical nerve stimulation)",
            ["TENS, chronic pain (transcutaneous electrical nerve stimulation)"],
        ),
        (
            "Muscle relaxants (for pain), Cyclobenzaprine (Flexeril)",
            ["Muscle relaxants (for pain)", "Cyclobenzaprine (Flexeril)"],
        ),
        (
            "1.4 Opioids for Acute Pain: Opioids for Post-operative Pain, 3.3.1.2 Screening for"
            " Risk, Prior to Chronic Opioid Treatment: Screening",
            [
                "1.4 Opioids for Acute Pain: Opioids for Post-operative Pain",
                "3.3.1.2 Screening for Risk, Prior to Chronic Opioid Treatment: Screening",
            ],
        ),
    ],
)
def test_mtus_sections_split_where_a_new_title_starts(text: str, sections: list[str]) -> None:
    assert split_sections(text) == sections


def test_several_mtus_parts_in_one_basis(parsed_letters: dict[Path, imrgen.Case]) -> None:
    citations = [
        [(c.part, c.year, c.sections) for c in item.reviewer_basis.mtus]
        for case in parsed_letters.values()
        for item in case.items
        if len(item.reviewer_basis.mtus) > 1
    ]
    assert [
        ("Neck and Upper Back Complaints", 2004, ["Special Studies"]),
        ("Forearm, Wrist, and Hand Complaints", 2004, ["Special Studies"]),
    ] in citations


def test_seed_forms(parsed_letters: dict[Path, imrgen.Case]) -> None:
    by_stem = {p.stem: c for p, c in parsed_letters.items() if p in SEEDS}
    markdown_like = by_stem["001_b9542192b0dd0239"]
    assert markdown_like.header.case_number == "CM14-0008529"
    assert markdown_like.reviewer.subspecialty == "Interventional Spine"
    assert by_stem["000_f14f80886707d236"].reviewer.licensure == "California and Virginia"


MINIMAL_BODY = (
    "HOW THE IMR FINAL DETERMINATION WAS MADE\n\nMAXIMUS Federal Services sent the complete"
    " case file to an expert reviewer.\n\nCLINICAL CASE SUMMARY\n\n"
    "Summary.\n\nIMR ISSUES, DECISIONS AND RATIONALES\n\nTENS unit: Upheld\n\n"
    "Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment"
    " 2016.\n\nMAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment"
    " 2016.\n\nDecision rationale: Not necessary.\n"
)


def test_a_minimal_letter_parses() -> None:
    case = imrgen.parse("minimal.txt", data=MINIMAL_BODY.encode())
    assert case.items[0].request == "TENS unit"
    assert case.items[0].rationale == ["Not necessary."]


BROKEN = {
    "not-a-letter.txt": ("Dear Sir,\n\nThank you.\n", "no heading 'HOW THE IMR FINAL"),
    "no-items.txt": (
        "HOW THE IMR FINAL DETERMINATION WAS MADE\n\nMAXIMUS Federal Services sent the complete"
        " case file to an expert reviewer. disputed items/Service.\n\nCLINICAL CASE SUMMARY\n\n"
        "Summary.\n\nIMR ISSUES, DECISIONS AND RATIONALES\n\nNothing here.\n",
        "no 'Claims Administrator guideline:' found",
    ),
    "bad-heading.txt": (
        "HOW THE IMR FINAL DETERMINATION WAS MADE\n\nMAXIMUS Federal Services sent the complete"
        " case file to an expert reviewer. disputed items/Service.\n\nCLINICAL CASE SUMMARY\n\n"
        "Summary.\n\nIMR ISSUES, DECISIONS AND RATIONALES\n\nTENS unit: Approved\n\n"
        "Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment"
        " 2016.\n\nMAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment"
        " 2016.\n\nDecision rationale: Not necessary.\n",
        "item 1: expected a heading ending in ': Upheld' or ': Overturned', found 'TENS unit:"
        " Approved'",
    ),
    "bad-date.txt": (
        "Case Number: CM16-0000001\nDate Assigned: 13/45/2016\n\n" + MINIMAL_BODY,
        "header date_assigned: expected a date like 01/31/2016, got '13/45/2016'",
    ),
    "not-a.pdf": ("%PDF-1.4 truncated", "not a readable PDF"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_unparseable_letters_say_what_is_missing(name: str) -> None:
    text, message = BROKEN[name]
    with pytest.raises(imrgen.ParseError) as caught:
        imrgen.parse(name, data=text.encode())
    assert str(caught.value).startswith(f"{name}: ")
    assert message in str(caught.value)


def test_unknown_letter_format() -> None:
    with pytest.raises(imrgen.UnknownFormatError, match=r"cannot read '.odt' files; readable: "):
        imrgen.parse("letter.odt", data=b"")


@pytest.mark.parametrize("fmt", ["txt", "html", "md"])
def test_a_basis_in_no_known_form_is_kept_as_written(fmt: str) -> None:
    """An unfamiliar letter still keeps its items, decisions and words."""
    letter = MINIMAL_BODY.replace(
        "Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment"
        " 2016.",
        "Claims Administrator guideline: Per ACOEM practice guidelines, chapter 12.",
    )
    case = imrgen.parse("unfamiliar.txt", data=letter.encode())
    basis = case.items[0].claims_administrator_basis
    assert basis.text == "Per ACOEM practice guidelines, chapter 12."
    assert basis.statement is None and not basis.mtus and basis.non_mtus is None
    assert imrgen.parse(f"again.{fmt}", data=imrgen.render(case, fmt)) == case


def test_basis_text_stands_alone() -> None:
    with pytest.raises(ValueError, match="'text' stands alone"):
        imrgen.GuidelineBasis(text="As written.", non_mtus="ODG")


def test_pdfium_line_end_hyphen_mark_is_a_hyphen(parsed_letters: dict[Path, imrgen.Case]) -> None:
    """PDFium returns U+FFFE for a hyphen ending a printed line ('x-' / 'ray')."""
    texts = [
        p
        for case in parsed_letters.values()
        for p in [*case.summary, *(r for i in case.items for r in i.rationale)]
    ]
    assert not any("\ufffe" in t for t in texts)
    assert any("x-ray" in t for t in texts)


def test_characters_no_file_can_carry_are_dropped() -> None:
    basis = imrgen.GuidelineBasis(non_mtus="ODG\x00 Low\ufffe Back\x07")
    assert basis.non_mtus == "ODG Low Back"


@pytest.mark.parametrize("path", REAL_LETTERS, ids=letter_id)
def test_no_paragraph_break_lands_in_the_middle_of_a_sentence(
    path: Path, parsed_letters: dict[Path, imrgen.Case]
) -> None:
    """A page break or a line PDFium joined at a hyphen is no paragraph break."""
    case = parsed_letters[path]
    for paragraphs in [case.summary, *(item.rationale for item in case.items)]:
        for paragraph in paragraphs[:-1]:
            assert paragraph.rstrip().endswith((".", ":", "?", "!", '"', "\u201d", ")")), paragraph
