"""The parser: golden cases for every real letter, the rules it follows, the errors it gives."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from conftest import CORPUS, EXAMPLES, REAL_LETTERS, SEEDS, letter_id

import imrgen
from imrgen.case.embedding import ATTACHMENT_NAME, case_to_json
from imrgen.readers import readers
from imrgen.readers.extract import split_sections
from imrgen.readers.text import is_word_extraction, join_lines, paragraphs_from_text


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


# -- what a reader must not trip on ------------------------------------------------------------

# Every reader, each reading the letter's text: pdf and docx written without the case inside.
READERS = sorted(r.name for r in readers())
TEXT_ONLY = imrgen.RenderOptions(embed_data=False)


def from_text(case: imrgen.Case, fmt: str, lang: str = "en") -> imrgen.Case:
    """The case read back from its letter's text in one format."""
    options = imrgen.RenderOptions(embed_data=False, lang=lang)
    data = imrgen.render(case, fmt, options)
    return imrgen.parse(f"letter{imrgen.get_writer(fmt).suffix}", data=data)


def example() -> imrgen.Case:
    """Two items (the second a modified request), a 2015 letter."""
    return imrgen.load_case(EXAMPLES / "CM17-0007300.yaml")


def quoting(case: imrgen.Case, *quoted: str) -> imrgen.Case:
    """The case with the first item's rationale and the summary quoting an earlier review."""
    first = case.items[0].model_copy(update={"rationale": [*case.items[0].rationale, *quoted]})
    return case.model_copy(
        update={"summary": [*quoted, *case.summary], "items": [first, *case.items[1:]]}
    )


QUOTED = (
    "Claims Administrator guideline: the earlier review cited the MTUS, as quoted.",
    "Decision rationale: the earlier reviewer found it not necessary.",
    "MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016.",
)


@pytest.mark.parametrize("fmt", READERS)
def test_a_rationale_quoting_an_earlier_review_reads_back(fmt: str) -> None:
    case = quoting(example(), *QUOTED)
    back = from_text(case, fmt)
    assert back.items[0].rationale[-3:] == list(QUOTED)
    assert back == case


@pytest.mark.parametrize("label", QUOTED[:2])
def test_a_rationale_opening_with_a_label_reads_back(label: str) -> None:
    """The quoted label as the first words of the rationale itself, in the last item."""
    case = example()
    last = case.items[-1].model_copy(update={"rationale": [label, *case.items[-1].rationale]})
    case = case.model_copy(update={"items": [*case.items[:-1], last]})
    assert from_text(case, "txt") == case


OTHER_ORGANIZATION = imrgen.Organization(
    name="Pacific Independent Review, Inc.", short_name="Pacific Review"
)


@pytest.mark.parametrize("fmt", READERS)
def test_another_review_organization_reads_back(fmt: str) -> None:
    """The reviewer's label is read as printed ('Pacific Review guideline:'), not guessed from
    the organization's first word."""
    case = example().model_copy(update={"organization": OTHER_ORGANIZATION})
    back = from_text(case, fmt)
    assert back.organization.short_name == "Pacific Review"
    assert back == case


def test_another_review_organization_reads_back_in_spanish() -> None:
    case = example().model_copy(update={"organization": OTHER_ORGANIZATION})
    text = imrgen.render(case, "txt", imrgen.RenderOptions(lang="es")).decode()
    assert "Guía de Pacific Review:" in " ".join(text.split())
    assert from_text(case, "txt", lang="es") == case


def test_items_that_print_two_reviewer_labels_are_an_error() -> None:
    text = imrgen.render(example(), "txt").decode()
    last = text.rindex("MAXIMUS guideline:")
    text = text[:last] + "Acme guideline:" + text[last + len("MAXIMUS guideline:") :]
    with pytest.raises(imrgen.ParseError) as caught:
        imrgen.parse("two-labels.txt", data=text.encode())
    assert str(caught.value) == (
        "two-labels.txt: 'IMR ISSUES, DECISIONS AND RATIONALES', item 2: expected"
        " 'MAXIMUS guideline:', found 'Acme guideline:'"
    )


def test_a_missing_reviewer_label_is_named() -> None:
    letter = MINIMAL_BODY.replace("MAXIMUS guideline: ", "")
    with pytest.raises(imrgen.ParseError, match=r"item 1: expected 'MAXIMUS guideline:', found"):
        imrgen.parse("no-reviewer.txt", data=letter.encode())


MIXED_YEARS = (
    "Decision based on MTUS Low Back Complaints 2004, and Knee Complaints 2004, and Elbow"
    " Complaints."
)


@pytest.mark.parametrize("fmt", READERS)
def test_mtus_parts_with_and_without_a_year_are_kept_as_written(fmt: str) -> None:
    """The model holds no yearless part beside parts with a year: the sentence is kept as it
    stands (it ended in a bare AssertionError)."""
    letter = MINIMAL_BODY.replace(
        "Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment"
        " 2016.",
        f"Claims Administrator guideline: {MIXED_YEARS}",
    )
    case = imrgen.parse("mixed.txt", data=letter.encode())
    assert case.items[0].claims_administrator_basis == imrgen.GuidelineBasis(text=MIXED_YEARS)
    assert from_text(case, fmt) == case


def test_one_line_of_spaces_does_not_merge_paragraphs() -> None:
    """Only text extracted from a Word PDF (paragraph marks as lines of spaces, and every
    printed line keeping the space it wrapped at) is read in that mode."""
    assert paragraphs_from_text("One\nparagraph.\n\nTwo.\n   \nThree.\n") == [
        "One paragraph.",
        "Two.",
        "Three.",
    ]
    case = example()
    text = imrgen.render(case, "txt").decode()
    for at in (text.index("\n\n"), text.rindex("\n\n")):
        stray = text[:at] + "\n \n" + text[at:]
        assert imrgen.parse("stray.txt", data=stray.encode()) == case
    markdown = imrgen.render(case, "md").decode()  # one line to a paragraph: no wrapping
    stray = markdown.replace("\n\n", "\n\n\t\n", 1)
    assert imrgen.parse("stray.md", data=stray.encode()) == case


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
@pytest.mark.parametrize("fmt", ["txt", "md", "html"])
def test_text_with_a_byte_order_mark_is_read(encoding: str, fmt: str) -> None:
    """As Windows tools save "Unicode" text: UTF-16 with its byte order mark."""
    case = example()
    text = imrgen.render(case, fmt).decode()
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = "\ufeff".encode(encoding) + data
    assert imrgen.parse(f"letter.{fmt}", data=data) == case


def test_utf16_without_a_byte_order_mark_is_named() -> None:
    data = imrgen.render(example(), "txt").decode().encode("utf-16-le")
    with pytest.raises(imrgen.ParseError) as caught:
        imrgen.parse("wide.txt", data=data)
    message = str(caught.value)
    assert message.startswith("wide.txt: not a text file in a known encoding")
    assert "UTF-16" in message
    assert "found NUL bytes" in message


def test_a_damaged_utf16_file_says_so() -> None:
    data = "\ufeffCase".encode("utf-16-le") + b"\x00\xd8"  # a lone high surrogate
    with pytest.raises(imrgen.ParseError, match=r"^odd\.txt: not UTF-16 text, though it starts"):
        imrgen.parse("odd.txt", data=data)


def _with_attachment(pdf_bytes: bytes, case: imrgen.Case) -> bytes:
    """A PDF carrying `case` as imrgen embeds it, whatever its pages say."""
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    pdf.attachments[ATTACHMENT_NAME] = pikepdf.AttachedFileSpec(
        pdf, case_to_json(case), filename=ATTACHMENT_NAME
    )
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_a_pdf_edited_since_it_was_written_reads_what_it_now_says() -> None:
    """The embedded case is checked against the text, as the DOCX reader does: an edited PDF
    (here: the first decision reversed) does not read back the case it was written from."""
    case = example()
    first = case.items[0]
    reversed_decision = (
        imrgen.Decision.OVERTURNED
        if first.decision is imrgen.Decision.UPHELD
        else imrgen.Decision.UPHELD
    )
    edited = case.model_copy(
        update={
            "items": [first.model_copy(update={"decision": reversed_decision}), *case.items[1:]]
        }
    )
    stale = _with_attachment(imrgen.render(edited, "pdf", TEXT_ONLY), case)
    assert imrgen.parse("edited.pdf", data=stale) == edited
    # Unedited, the embedded case stands, with what the letter never prints.
    drafted = case.model_copy(
        update={"header": case.header.model_copy(update={"records_received": date(2016, 12, 1)})}
    )
    assert imrgen.parse("same.pdf", data=imrgen.render(drafted, "pdf")) == drafted


def test_a_pdf_whose_paragraphs_read_otherwise_keeps_its_case() -> None:
    """The check is on what the letter says, not on how its lines were grouped: where the text
    reads with paragraphs joined (as a layout can make it), the carried case stands; one word
    changed, and the text is read."""
    relaid = example()  # what the text reads: the first rationale as one paragraph
    first = relaid.items[0]
    head, tail = first.rationale[0].split(". ", 1)
    split = first.model_copy(update={"rationale": [f"{head}.", tail, *first.rationale[1:]]})
    case = relaid.model_copy(update={"items": [split, *relaid.items[1:]]})
    text = imrgen.render(relaid, "pdf", TEXT_ONLY)
    assert imrgen.parse("relaid.pdf", data=_with_attachment(text, case)) == case
    reworded = relaid.model_copy(
        update={"summary": [case.summary[0].replace("the", "a", 1), *case.summary[1:]]}
    )
    text = imrgen.render(reworded, "pdf", TEXT_ONLY)
    assert imrgen.parse("reworded.pdf", data=_with_attachment(text, case)) == reworded


def test_a_pdf_whose_text_is_no_letter_does_not_vouch_for_its_case() -> None:
    blank = pikepdf.new()
    blank.add_blank_page()
    out = io.BytesIO()
    blank.save(out)
    data = _with_attachment(out.getvalue(), example())
    with pytest.raises(imrgen.ParseError) as caught:
        imrgen.parse("blank.pdf", data=data)
    message = str(caught.value)
    assert message.startswith("blank.pdf: not an IMR determination: no heading")
    assert "the file carries a case" in message


def test_seed_002_keeps_the_full_stop_it_lacks(parsed_letters: dict[Path, imrgen.Case]) -> None:
    """The published letter prints no full stop after its reviewer's non-MTUS citation: the
    case records that, and every format prints it so."""
    case = next(c for p, c in parsed_letters.items() if p.stem == "002_0d35968a102d98c7")
    basis = case.items[0].reviewer_basis
    assert basis.non_mtus == "Official Disability Guidelines (ODG) Shoulder Chapter, Iontophoresis"
    assert basis.non_mtus_full_stop is False
    text = " ".join(imrgen.render(case, "txt").decode().split())
    assert "Shoulder Chapter, Iontophoresis Decision rationale:" in text
    for fmt in READERS:
        assert from_text(case, fmt) == case, fmt


def test_a_full_stop_false_beside_a_citation_ending_in_one_is_refused() -> None:
    with pytest.raises(ValueError, match="non_mtus ends in a full stop"):
        imrgen.GuidelineBasis(non_mtus="ODG.", non_mtus_full_stop=False)


def test_a_reviewer_label_run_into_the_sentence_before_is_read() -> None:
    """Where a paragraph break was lost (text from another program's PDF), the reviewer's label
    still starts after the claims administrator's basis, not at the paragraph's start."""
    letter = MINIMAL_BODY.replace(" 2016.\n\nMAXIMUS guideline:", " 2016. MAXIMUS guideline:")
    assert letter != MINIMAL_BODY
    case = imrgen.parse("merged.txt", data=letter.encode())
    assert case.organization.short_name == "MAXIMUS"
    part = case.items[0].claims_administrator_basis.mtus[0].part
    assert part == "Chronic Pain Medical Treatment"


# The published page body ends where a line's descent reaches 720 pt from the top (72 pt
# margins); poppler's yMax is a line's baseline plus its descent.
PAGE_BODY_END = 720.0
HEADING_STEP = 27.96  # from a paragraph's last line to the heading under it (an empty line)


def test_a_heading_that_starts_a_page_it_did_not_need_to_is_a_page_break(
    parsed_letters: dict[Path, imrgen.Case], tmp_path: Path
) -> None:
    """A published heading that starts a page although the page before had room for it (Word
    kept it with the next paragraph there, in some letters' documents) is a page break the case
    records; one that did not fit records none. Checked with poppler, not imrgen's reader."""
    from layout import cached_poppler_lines

    moved, full = [], []
    for path in CORPUS:
        lines = cached_poppler_lines(path, tmp_path)
        at = next(i for i, ln in enumerate(lines) if ln.text.startswith("IMR ISSUES"))
        heading, before = lines[at], lines[at - 1]
        breaks = parsed_letters[path].page_breaks_before
        if heading.page == before.page:
            assert breaks == [], path.stem
            continue
        would_end = before.bottom + HEADING_STEP
        if would_end <= PAGE_BODY_END - 1:
            moved.append(path.stem)
            assert breaks == [imrgen.Section.ISSUES], path.stem
        else:
            full.append(path.stem)
            assert breaks == [], path.stem
    assert len(moved) >= 5 and len(full) >= 3, (moved, full)


def test_a_form_feed_is_a_page_break_in_imrgen_text_only(
    parsed_letters: dict[Path, imrgen.Case],
) -> None:
    """In text extracted from Word's PDFs (the seeds' form) a form feed is where a page ended,
    wherever that was; in imrgen's txt a line of one form feed is a page break the case has."""
    seed = next(p for p in SEEDS if is_word_extraction(p.read_text(encoding="utf-8").split("\n")))
    text = seed.read_text(encoding="utf-8")
    heading = next(ln for ln in text.split("\n") if ln.strip().startswith("IMR ISSUES"))
    paged = text.replace(heading, "\f" + heading, 1)
    assert paged != text
    assert imrgen.parse("seed.txt", data=paged.encode()).page_breaks_before == []
    assert parsed_letters[seed].page_breaks_before == []

    case = imrgen.load_case(EXAMPLES / "CM16-0213037.yaml")
    own = imrgen.render(case, "txt").decode()
    heading = "IMR ISSUES, DECISIONS AND RATIONALES"
    assert "\f" not in own
    marked = own.replace(heading, "\f\n\n" + heading)
    assert imrgen.parse("own.txt", data=marked.encode()).page_breaks_before == [
        imrgen.Section.ISSUES
    ]
