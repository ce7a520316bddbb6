"""Paragraphs of a letter -> Case. Every reader ends here, so published letters, the seeds'
extracted text and imrgen's own outputs are read by one set of rules.

The letter's fixed phrases are the templates' gettext messages (Phrases below; a test checks
that each is a message of the templates). Patterns are built from them in each language with a
catalog, so a Spanish letter reads back as well as an English one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, ClassVar

from pydantic import ValidationError

from ..case.model import (
    EXTRA_SPACE,
    PAGE_BREAK,
    TYPED_BREAK,
    Case,
    Edition,
    GuidelineBasis,
    Section,
    Statement,
)
from ..errors import ParseError
from ..letter.i18n import languages, parse_numeric_date, translations


class Phrases:
    """The msgids the parser reads (exactly as the templates write them)."""

    HOW_MADE = "HOW THE IMR FINAL DETERMINATION WAS MADE"
    SUMMARY = "CLINICAL CASE SUMMARY"
    ISSUES = "IMR ISSUES, DECISIONS AND RATIONALES"
    CASE_NUMBER = "Case Number:"
    DATE_ASSIGNED = "Date Assigned:"
    DATE_OF_INJURY = "Date of Injury:"
    DECISION_DATE = "Decision Date:"
    UR_DENIAL_DATE = "UR Denial Date:"
    PRIORITY = "Priority:"
    APPLICATION_RECEIVED = "Application Received:"
    STANDARD = "Standard"
    EXPEDITED = "Expedited"
    UPHELD = "Upheld"
    OVERTURNED = "Overturned"
    OPENING = (
        "%(organization)s sent the complete case file to an expert reviewer. He/she has no"
        " affiliation with the employer, employee, providers or the claims administrator."
    )
    _PRACTICE = (
        "He/she has been in active clinical practice for more than five years and is currently"
        " working at least 24 hours a week in active practice. The expert reviewer was selected"
        " based on his/her clinical experience, education, background, and expertise in the"
        " same or similar specialties that evaluate and/or treat the medical condition and"
        " disputed items/{}. He/she is familiar with governing laws and regulations, including"
        " the strength of evidence hierarchy that applies to Independent Medical Review"
        " determinations."
    )
    PRACTICE_2015 = _PRACTICE.format("Service")
    PRACTICE_2014 = _PRACTICE.format("services")
    QUALIFICATIONS_2014 = (
        "The expert reviewer is Board Certified in %(specialty)s, has a subspecialty in"
        " %(subspecialty)s and is licensed to practice in %(licensure)s.",
        "The expert reviewer is Board Certified in %(specialty)s and has a subspecialty in"
        " %(subspecialty)s.",
        "The expert reviewer is Board Certified in %(specialty)s and is licensed to practice in"
        " %(licensure)s.",
        "The expert reviewer is Board Certified in %(specialty)s.",
        "The expert reviewer is licensed to practice in %(licensure)s.",
    )
    CREDENTIALS = "The Expert Reviewer has the following credentials:"
    LICENSURE = "State(s) of Licensure:"
    SPECIALTY = "Certification(s)/Specialty:"
    SUMMARY_INTRO = (
        "The expert reviewer developed the following clinical case summary based on a review of"
        " the case file, including all medical records:"
    )
    ISSUES_INTRO = (
        "The Final Determination was based on decisions for the disputed items/services set"
        " forth below:"
    )
    ORIGINAL_ELIGIBLE = (
        "%(original)s was the original request. The Claims Administrator authorized"
        " %(authorized)s, leaving the original request IMR eligible. The original request,"
        " %(request)s is:"
    )
    REMAINING_PORTION = (
        "%(original)s was the original request. %(authorized)s was authorized by the Claims"
        " Administrator. The remaining IMR eligible portion of the original request,"
        " %(request)s is:"
    )
    CA_LABEL = "Claims Administrator guideline:"
    REVIEWER_LABEL = "%(name)s guideline:"
    RATIONALE_LABEL = "Decision rationale:"
    STATEMENTS: ClassVar[dict[str, Statement]] = {
        "The Claims Administrator did not cite any medical evidence for its decision.": (
            Statement.NO_EVIDENCE
        ),
        "The Claims Administrator did not base their decision on the MTUS.": Statement.NOT_MTUS,
        "The Claims Administrator based their decision on recommendation(s) outside of the MTUS"
        " Guidelines.": Statement.OUTSIDE_MTUS,
        "The Expert Reviewer did not cite any medical evidence for its decision.": (
            Statement.NO_EVIDENCE
        ),
        "The Expert Reviewer did not base their decision on the MTUS.": Statement.NOT_MTUS,
        "The Expert Reviewer based their decision on recommendation(s) outside of the MTUS"
        " Guidelines.": Statement.OUTSIDE_MTUS,
    }
    MTUS = "Decision based on MTUS %(citations)s."
    NON_MTUS = "Decision based on Non-MTUS Citation %(citation)s."

    @classmethod
    def all(cls) -> list[str]:
        out: list[str] = []
        for name, value in vars(cls).items():
            if name.startswith("_") or name == "all":
                continue
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, tuple | dict):
                out.extend(value)
        return out


# White space in a phrase; a line break typed into the letter and a space printed beyond one
# (model.TYPED_BREAK, EXTRA_SPACE) are white space too wherever the letter prints fixed words.
_SPACE = rf"[\s{TYPED_BREAK}{EXTRA_SPACE}]+"


def plain(text: str) -> str:
    """Text with the typed line breaks as spaces and one space between words: every part of
    a letter but its paragraphs."""
    return text.replace(TYPED_BREAK, " ").replace(EXTRA_SPACE, "")


def pattern(message: str, groups: dict[str, str] | None = None) -> str:
    """A translated message as a regex: literal text, %(name)s as a named group (of any text, or
    of the pattern `groups` gives for that name), any run of white space as white space."""
    out = ""
    for piece in re.split(r"(%\(\w+\)s)", message):
        name = re.fullmatch(r"%\((\w+)\)s", piece)
        if name:
            out += f"(?P<{name[1]}>{(groups or {}).get(name[1], '.+?')})"
        else:
            out += _SPACE.join(re.escape(word) for word in piece.split(" "))
    return out


@dataclass(frozen=True)
class Wording:
    """One language's phrases, compiled."""

    lang: str
    titles: dict[str, str]
    header: dict[str, re.Pattern[str]]
    priorities: dict[str, str]
    decisions: dict[str, str]
    opening: re.Pattern[str]
    practice_2014: str
    qualifications_2014: list[re.Pattern[str]]
    credentials: str
    licensure: str
    specialty: str
    summary_intro: re.Pattern[str]
    issues_intro: re.Pattern[str]
    headings: list[tuple[re.Pattern[str], str | None]]
    ca_label: str
    reviewer_label: str
    rationale_label: str
    # The labels every item prints in the same words: the claims administrator's and the
    # rationale's. The reviewer's label names the review organization, so it is read apart.
    fixed_labels: re.Pattern[str]
    # The reviewer's label at the start of a paragraph, and (where a paragraph break was lost)
    # after a sentence; the name is the organization's short name as the letter prints it.
    reviewer_at_paragraph: re.Pattern[str]
    reviewer_after_sentence: re.Pattern[str]
    statements: list[tuple[re.Pattern[str], Statement]]
    mtus: re.Pattern[str]
    non_mtus: re.Pattern[str]
    all_titles: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        titles = "|".join(pattern(t) for t in self.titles.values())
        object.__setattr__(self, "all_titles", re.compile(f"({titles})"))


@cache
def wording_for(lang: str) -> Wording:
    _ = translations(lang).gettext
    decision_words = "|".join(re.escape(_(word)) for word in (Phrases.UPHELD, Phrases.OVERTURNED))
    decision = rf"\s*(?P<decision>{decision_words})$"
    return Wording(
        lang=lang,
        titles={
            "how": _(Phrases.HOW_MADE),
            "summary": _(Phrases.SUMMARY),
            "issues": _(Phrases.ISSUES),
        },
        header={
            key: re.compile(pattern(_(msg)))
            for key, msg in (
                ("case_number", Phrases.CASE_NUMBER),
                ("date_assigned", Phrases.DATE_ASSIGNED),
                ("date_of_injury", Phrases.DATE_OF_INJURY),
                ("decision_date", Phrases.DECISION_DATE),
                ("ur_denial_date", Phrases.UR_DENIAL_DATE),
                ("priority", Phrases.PRIORITY),
                ("application_received", Phrases.APPLICATION_RECEIVED),
            )
        },
        priorities={
            _(Phrases.STANDARD).lower(): "standard",
            _(Phrases.EXPEDITED).lower(): "expedited",
        },
        decisions={_(Phrases.UPHELD): "upheld", _(Phrases.OVERTURNED): "overturned"},
        # Only the first sentence: it names the organization; the rest may vary between years.
        opening=re.compile("^" + pattern(_(Phrases.OPENING).split(". ")[0])),
        practice_2014=_(Phrases.PRACTICE_2014),
        qualifications_2014=[re.compile(pattern(_(q))) for q in Phrases.QUALIFICATIONS_2014],
        credentials=_(Phrases.CREDENTIALS),
        licensure=_(Phrases.LICENSURE),
        specialty=_(Phrases.SPECIALTY),
        summary_intro=re.compile("^" + pattern(_(Phrases.SUMMARY_INTRO)) + r"\s*"),
        issues_intro=re.compile("^" + pattern(_(Phrases.ISSUES_INTRO)) + r"\s*"),
        headings=[
            (
                re.compile("^" + pattern(_(Phrases.REMAINING_PORTION)) + decision),
                "remaining-portion",
            ),
            (
                re.compile("^" + pattern(_(Phrases.ORIGINAL_ELIGIBLE)) + decision),
                "original-request",
            ),
            (re.compile(r"^(?P<request>.+?):" + decision), None),
        ],
        ca_label=_(Phrases.CA_LABEL),
        reviewer_label=_(Phrases.REVIEWER_LABEL),
        rationale_label=_(Phrases.RATIONALE_LABEL),
        fixed_labels=re.compile(
            "(?P<label>"
            + pattern(_(Phrases.CA_LABEL))
            + "|"
            + pattern(_(Phrases.RATIONALE_LABEL))
            + r")\s*"
        ),
        reviewer_at_paragraph=re.compile(
            "^" + pattern(_(Phrases.REVIEWER_LABEL), {"name": r"[^\n]+?"}) + r"\s*", re.MULTILINE
        ),
        reviewer_after_sentence=re.compile(
            r"(?<=[.!?)] )" + pattern(_(Phrases.REVIEWER_LABEL), {"name": r"[^\n.!?]+?"}) + r"\s*"
        ),
        statements=[
            (re.compile("^" + pattern(_(msg)) + r"\s*"), statement)
            for msg, statement in Phrases.STATEMENTS.items()
        ],
        mtus=re.compile(
            "^"
            + pattern(_(Phrases.MTUS)).replace(
                r"(?P<citations>.+?)\.",
                r"(?P<citations>.+?)\.(?=\s+"
                + pattern(_(Phrases.NON_MTUS)).split("(?P")[0]
                + "|$)",
            )
            + r"\s*"
        ),
        # The published letters sometimes leave out the full stop that ends this sentence: the
        # case records it (GuidelineBasis.non_mtus_full_stop), so the letter is printed as it was.
        non_mtus=re.compile(
            "^" + pattern(_(Phrases.NON_MTUS)).removesuffix(r"\.") + r"(?P<full_stop>\.)?$"
        ),
    )


def detect_wording(paragraphs: list[str]) -> Wording:
    """The language whose section titles the letter uses (English when none is found)."""
    text = plain(" ".join(paragraphs))
    for lang in languages():
        candidate = wording_for(lang)
        if re.search(pattern(candidate.titles["how"]), text):
            return candidate
    return wording_for("en")


def _isolate_titles(paragraphs: list[str], wording: Wording) -> list[str]:
    """Give each section title a paragraph of its own: where the space around a title was lost
    (text extracted from a PDF, a page break), it runs into its neighbours."""
    out: list[str] = []
    for paragraph in paragraphs:
        for piece in wording.all_titles.split(paragraph):
            # A typed line break next to a title is the title's own line ending.
            piece = " ".join(piece.split()).strip(f" {TYPED_BREAK}{EXTRA_SPACE}")
            if piece:
                out.append(piece)
    return out


def _find(paragraphs: list[str], title: str, start: int = 0) -> int | None:
    for i in range(start, len(paragraphs)):
        if paragraphs[i].upper() == title.upper():
            return i
    return None


def extract(paragraphs: list[str], source: str = "<letter>") -> Case:
    """Read the case out of a letter's paragraphs; ParseError says what is missing and where."""
    wording = detect_wording(paragraphs)
    paragraphs = _isolate_titles(paragraphs, wording)
    how_title, summary_title, issues_title = (
        wording.titles[k] for k in ("how", "summary", "issues")
    )
    paragraphs, breaks = _page_breaks(
        paragraphs, {summary_title.upper(): Section.SUMMARY, issues_title.upper(): Section.ISSUES}
    )
    how = _find(paragraphs, how_title)
    if how is None:
        raise ParseError(source, f"not an IMR determination: no heading '{how_title}'")
    summary = _find(paragraphs, summary_title, how + 1)
    if summary is None:
        raise ParseError(source, f"no heading '{summary_title}' after '{how_title}'")
    issues = _find(paragraphs, issues_title, summary + 1)
    if issues is None:
        raise ParseError(source, f"no heading '{issues_title}' after '{summary_title}'")

    how_text = plain(" ".join(paragraphs[how + 1 : summary]))
    organization = _organization(how_text, wording, source)
    edition, reviewer = _reviewer(how_text, wording, source)
    items, short_name = _items(paragraphs[issues + 1 :], organization, wording, source)
    data: dict[str, Any] = {
        "edition": edition,
        "organization": {"name": organization, "short_name": short_name},
        "header": _header(plain(" ".join(paragraphs[:how])), wording, source),
        "reviewer": reviewer,
        "summary": _summary(paragraphs[summary + 1 : issues], wording, source),
        "items": items,
    }
    if breaks:
        data["page_breaks_before"] = breaks
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise ParseError.from_validation(source, exc.errors()) from None


def _page_breaks(
    paragraphs: list[str], titles: dict[str, Section]
) -> tuple[list[str], list[Section]]:
    """The paragraphs without the readers' page break marks, and the sections whose heading
    comes right after one. A page break before anything else (the full letter's cover ends in
    one) is the layout's own."""
    out: list[str] = []
    breaks: list[Section] = []
    after_break = False
    for paragraph in paragraphs:
        if paragraph == PAGE_BREAK:
            after_break = True
            continue
        section = titles.get(paragraph.upper())
        if after_break and section is not None:
            breaks.append(section)
        after_break = False
        out.append(paragraph)
    return out, breaks


def _organization(how_text: str, wording: Wording, source: str) -> str:
    match = wording.opening.match(how_text)
    if not match:
        raise ParseError(
            source,
            f"'{wording.titles['how']}': no opening sentence naming the reviewer's"
            " organization ('... sent the complete case file to an expert reviewer')",
        )
    return match["organization"]


def _reviewer(how_text: str, wording: Wording, source: str) -> tuple[Edition, dict[str, str]]:
    """The edition from the way the letter names the reviewer's qualifications: a credentials
    block (2015 on) or a sentence of the paragraph (2014). Wording that differs from both reads
    as the 2015 edition, so that an unfamiliar letter still gives its items and decisions."""
    norm = " ".join(how_text.split())
    if wording.credentials in norm:
        rest = norm.split(wording.credentials, 1)[1]
        found: dict[str, str] = {}
        lic = re.search(
            re.escape(wording.licensure) + r"\s*(.*?)\s*(?=" + re.escape(wording.specialty) + "|$)",
            rest,
        )
        spec = re.search(re.escape(wording.specialty) + r"\s*(.*)$", rest)
        if lic and lic[1]:
            found["licensure"] = lic[1]
        if spec and spec[1]:
            found["specialty"] = spec[1].strip()
        return Edition.E2015, found
    for qualification in wording.qualifications_2014:
        match = qualification.search(norm)
        if match:
            return Edition.E2014, {k: v for k, v in match.groupdict().items() if v}
    if wording.practice_2014 in norm:
        return Edition.E2014, {}
    return Edition.E2015, {}


def _header(text: str, wording: Wording, source: str) -> dict[str, Any]:
    positions = []
    for name, label in wording.header.items():
        match = label.search(text)
        if match:
            positions.append((match.start(), match.end(), name))
    positions.sort()
    header: dict[str, Any] = {}
    for i, (_, end, name) in enumerate(positions):
        stop = positions[i + 1][0] if i + 1 < len(positions) else len(text)
        value = " ".join(text[end:stop].split())
        if not value:
            continue
        if name == "case_number":
            header[name] = value
        elif name == "priority":
            header[name] = wording.priorities.get(value.lower(), value.lower())
        else:
            header[name] = _date(value, name, wording, source)
    return header


def _date(value: str, name: str, wording: Wording, source: str) -> date:
    try:
        return parse_numeric_date(value, wording.lang)
    except ValueError:
        pass
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ParseError(
            source, f"header {name}: expected a date like 01/31/2016, got '{value}'"
        ) from None


def _summary(paragraphs: list[str], wording: Wording, source: str) -> list[str]:
    text = wording.summary_intro.sub("", "\n".join(paragraphs), count=1).strip()
    if not text:
        raise ParseError(source, f"'{wording.titles['summary']}' has no summary text")
    return [p for p in text.split("\n") if plain(p).strip()]


@dataclass
class _ItemMarks:
    """Where one item's labels stand in the text of the issues section."""

    heading: str
    ca: tuple[int, int]  # "Claims Administrator guideline:"
    reviewer: tuple[int, int] = (-1, -1)  # "<short name> guideline:"
    short_name: str = ""
    rationale: tuple[int, int] = (-1, -1)  # "Decision rationale:"
    rationale_text: str | None = None  # once the next item's heading has been split off


def _items(
    paragraphs: list[str], organization: str, wording: Wording, source: str
) -> tuple[list[dict[str, Any]], str]:
    """The items, and the organization's short name as the reviewer's label prints it.

    An item is a heading, then the claims administrator's label, the reviewer's and the
    rationale's. A rationale may quote an earlier review, labels and all: after a rationale, a
    claims administrator's label starts the next item only where a heading stands before it,
    and a rationale label is the rationale's own text."""
    text = wording.issues_intro.sub("", "\n".join(paragraphs), count=1)
    where = f"'{wording.titles['issues']}'"
    found: list[_ItemMarks] = []

    def reviewer_expected() -> str:
        # Before the letter has shown its reviewer's label, a message can only guess it.
        name = found[0].short_name if found and found[0].short_name else organization.split()[0]
        return wording.reviewer_label % {"name": name}

    for mark in wording.fixed_labels.finditer(text):
        label = " ".join(mark["label"].split())
        span = (mark.start(), mark.end())
        current = found[-1] if found else None
        if current is None:
            if label != wording.ca_label:
                raise ParseError(
                    source, f"{where}, item 1: expected '{wording.ca_label}', found '{label}'"
                )
            found.append(_ItemMarks(heading=text[: span[0]], ca=span))
        elif current.rationale[0] >= 0:  # in a rationale
            if label != wording.ca_label:
                continue  # a rationale quoting a "Decision rationale:"
            rationale, heading = _split_heading(text[current.rationale[1] : span[0]], wording)
            if not any(
                form.match(" ".join(plain(heading).split())) for form, _ in wording.headings
            ):
                continue  # a rationale quoting a "Claims Administrator guideline:"
            current.rationale_text = rationale
            found.append(_ItemMarks(heading=heading, ca=span))
        else:  # after the claims administrator's label, the reviewer's, then the rationale's
            number = len(found)
            reviewer = _reviewer_label(text, current.ca[1], span[0], wording)
            if reviewer is None:
                raise ParseError(
                    source,
                    f"{where}, item {number}: expected '{reviewer_expected()}', found '{label}'",
                )
            if label != wording.rationale_label:
                expected = wording.rationale_label
                raise ParseError(
                    source, f"{where}, item {number}: expected '{expected}', found '{label}'"
                )
            expected = reviewer_expected()
            current.reviewer, current.short_name = reviewer
            if number > 1 and current.short_name != found[0].short_name:
                printed = wording.reviewer_label % {"name": current.short_name}
                raise ParseError(
                    source, f"{where}, item {number}: expected '{expected}', found '{printed}'"
                )
            current.rationale = span
    if not found:
        raise ParseError(source, f"{where}: no '{wording.ca_label}' found")
    last = found[-1]
    if last.rationale[0] < 0:
        reviewer = _reviewer_label(text, last.ca[1], len(text), wording)
        missing = wording.rationale_label if reviewer else reviewer_expected()
        raise ParseError(source, f"{where}, item {len(found)}: missing '{missing}'")
    last.rationale_text = text[last.rationale[1] :]

    items: list[dict[str, Any]] = []
    for number, marks in enumerate(found, start=1):
        item = _heading(marks.heading, wording, source, number)
        item["claims_administrator_basis"] = _basis(text[marks.ca[1] : marks.reviewer[0]], wording)
        item["reviewer_basis"] = _basis(text[marks.reviewer[1] : marks.rationale[0]], wording)
        paragraphs_of = (marks.rationale_text or "").strip().split("\n")
        item["rationale"] = [p.strip() for p in paragraphs_of if plain(p).strip()]
        items.append(item)
    return items, found[0].short_name


def _reviewer_label(
    text: str, start: int, stop: int, wording: Wording
) -> tuple[tuple[int, int], str] | None:
    """The reviewer's label between an item's claims administrator label and its rationale
    label: its place and the short name it prints."""
    match = wording.reviewer_at_paragraph.search(
        text, start, stop
    ) or wording.reviewer_after_sentence.search(text, start, stop)
    if match is None:
        return None
    return (match.start(), match.end()), " ".join(match["name"].split())


def _split_heading(body: str, wording: Wording) -> tuple[str, str]:
    """A rationale runs into the next item's heading: the heading is the last paragraph, or,
    where the paragraph break was lost, the earliest sentence from which the rest reads as a
    heading."""
    body = body.rstrip()
    head, _, last = body.rpartition("\n")
    if head and any(form.match(" ".join(plain(last).split())) for form, _ in wording.headings):
        return head, last
    flat = " ".join(body.split())
    starts = [m.end() for m in re.finditer(r"[.!?\"\u201d)] (?=\S)", flat)]
    for form, eligible in wording.headings:
        for start in starts:
            if eligible is None and start != starts[-1]:
                continue
            if form.match(flat[start:]):
                return flat[:start], flat[start:]
    return "", body


def _heading(text: str, wording: Wording, source: str, number: int) -> dict[str, Any]:
    text = " ".join(plain(text).split())
    for form, eligible in wording.headings:
        match = form.match(text)
        if match:
            groups = match.groupdict()
            item: dict[str, Any] = {
                "request": groups["request"],
                "decision": wording.decisions[groups["decision"]],
            }
            if eligible:
                item["modification"] = {
                    "original_request": groups["original"],
                    "authorized": groups["authorized"],
                    "eligible": eligible,
                }
            return item
    shown = text if len(text) < 120 else text[:117] + "..."
    words = "' or ': ".join(wording.decisions)
    raise ParseError(
        source,
        f"'{wording.titles['issues']}', item {number}: expected a heading ending in ': {words}',"
        f" found '{shown}'",
    )


def _basis(text: str, wording: Wording) -> dict[str, Any]:
    """A basis in the letters' sentences; one in no known form is kept as written."""
    text = " ".join(plain(text).split())
    if not text:
        return {}
    original = text
    basis: dict[str, Any] = {}
    for statement_pattern, statement in wording.statements:
        match = statement_pattern.match(text)
        if match:
            basis["statement"] = statement.value
            text = text[match.end() :]
            break
    match = wording.mtus.match(text)
    if match:
        basis["mtus"] = _mtus(match["citations"])
        text = text[match.end() :]
    match = wording.non_mtus.match(text)
    if match:
        basis["non_mtus"] = match["citation"]
        if not match["full_stop"]:
            basis["non_mtus_full_stop"] = False
        text = ""
    if text:
        return {"text": original}
    try:
        GuidelineBasis.model_validate(basis)
    except ValidationError:
        # Sentences of the known forms that the model cannot hold as structure (an MTUS part
        # without a year beside parts with one): the letter's words, kept as written.
        return {"text": original}
    return basis


YEAR = r"(?:19|20)\d\d"
_CITATION = re.compile(
    r"(?P<part>.+?) (?P<year>" + YEAR + r")(?:, Section\(s\): (?P<sections>.+?))?"
    r"(?: Page\(s\): (?P<pages>.+?))?"
    r"(?:, and (?=.+? " + YEAR + r"(?:, Section\(s\):| Page\(s\):|, and |$))|$)"
)
# Matched at an offset (after citations with a year), so anchored by match(), not by "^".
_YEARLESS = re.compile(r"(?P<part>.+?)(?: Page\(s\): (?P<pages>.+))?$")


def _mtus(text: str) -> list[dict[str, Any]]:
    """'Low Back Complaints 2004, Section(s): Special Studies, and Knee Complaints 2004' (2016)
    or 'Chronic Pain Treatment Guidelines Topical analgesics Page(s): 111' (2014). A part name
    may hold ', and' itself ('Forearm, Wrist, and Hand Complaints'): a citation ends only
    after its year or its sections."""
    citations = []
    position = 0
    while position < len(text):
        match = _CITATION.match(text, position) or _YEARLESS.match(text, position)
        assert match is not None  # _YEARLESS matches any non-empty rest
        groups = match.groupdict()
        citation: dict[str, Any] = {"part": groups["part"]}
        if groups.get("year"):
            citation["year"] = int(groups["year"])
        if groups.get("sections"):
            citation["sections"] = split_sections(groups["sections"])
        if groups.get("pages"):
            citation["pages"] = groups["pages"]
        citations.append(citation)
        position = match.end()
    return citations


def split_sections(text: str) -> list[str]:
    """MTUS section titles are joined by ', ', and some titles hold a comma themselves
    ('TENS, chronic pain (...)', 'Ultrasound, therapeutic'): a new title starts with a capital,
    a digit or a bracket; in a numbered list ('1.4 Opioids ..., 3.2 ...') only with a number."""
    numbered = re.match(r"^\d+(?:\.\d+)*\.? ", text) is not None
    starts = r"\d+(?:\.\d+)*\.? " if numbered else r"[A-Z0-9(\[]"
    return [s for s in re.split(r", (?=" + starts + ")", text) if s]
