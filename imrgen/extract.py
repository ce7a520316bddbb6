"""Paragraphs of a letter -> Case. Every reader ends here, so published letters, the seeds'
extracted text and imrgen's own outputs are read by one set of rules."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from .errors import ParseError
from .model import Case, Edition, Statement

HOW_MADE = "HOW THE IMR FINAL DETERMINATION WAS MADE"
SUMMARY = "CLINICAL CASE SUMMARY"
ISSUES = "IMR ISSUES, DECISIONS AND RATIONALES"
SUMMARY_INTRO = re.compile(
    r"^The expert reviewer developed the following clinical case summary based on a review of"
    r" the case file, including all medical records:\s*"
)
ISSUES_INTRO = re.compile(
    r"^The Final Determination was based on decisions for the disputed items/services set"
    r" forth below:\s*"
)
HEADER_LABELS = {
    "case_number": r"Case\s+Number:",
    "date_assigned": r"Date\s+Assigned:",
    "date_of_injury": r"Date\s+of\s+Injury:",
    "decision_date": r"Decision\s+Date:",
    "ur_denial_date": r"UR\s+Denial\s+Date:",
    "priority": r"Priority:",
    "application_received": r"Application\s+Received:",
}
DECISION = r"(?P<decision>Upheld|Overturned)"
HEADING_FORMS = [
    re.compile(
        r"^(?P<original>.+?) was the original request\. (?P<authorized>.+?) was authorized by the"
        r" Claims Administrator\. The remaining IMR eligible portion of the original request,"
        r" (?P<request>.+?) is:\s*" + DECISION + "$"
    ),
    re.compile(
        r"^(?P<original>.+?) was the original request\. The Claims Administrator authorized"
        r" (?P<authorized>.+?), leaving the original request IMR eligible\. The original"
        r" request, (?P<request>.+?) is:\s*" + DECISION + "$"
    ),
    re.compile(r"^(?P<request>.+?):\s*" + DECISION + "$"),
]
HEADING_ELIGIBLE = ["remaining-portion", "original-request", None]
STATEMENTS = {
    Statement.NO_EVIDENCE: r"did not cite any medical evidence for its decision\.",
    Statement.NOT_MTUS: r"did not base their decision on the MTUS\.",
    Statement.OUTSIDE_MTUS: (
        r"based their decision on recommendation\(s\) outside of the MTUS Guidelines\."
    ),
}
YEAR = r"(?:19|20)\d\d"


def _find(paragraphs: list[str], title: str, start: int = 0) -> int | None:
    for i in range(start, len(paragraphs)):
        if " ".join(paragraphs[i].split()).upper() == title:
            return i
    return None


_TITLES = re.compile(
    "(" + "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in (HOW_MADE, SUMMARY, ISSUES)) + ")"
)


def _isolate_titles(paragraphs: list[str]) -> list[str]:
    """Give each section title a paragraph of its own: where the space around a title was lost
    (text extracted from a PDF, a page break), it runs into its neighbours."""
    out: list[str] = []
    for paragraph in paragraphs:
        for piece in _TITLES.split(paragraph):
            piece = " ".join(piece.split())
            if piece:
                out.append(piece)
    return out


def extract(paragraphs: list[str], source: str = "<letter>") -> Case:
    """Read the case out of a letter's paragraphs; ParseError says what is missing and where."""
    paragraphs = _isolate_titles(paragraphs)
    how = _find(paragraphs, HOW_MADE)
    if how is None:
        raise ParseError(source, f"not an IMR determination: no heading '{HOW_MADE}'")
    summary = _find(paragraphs, SUMMARY, how + 1)
    if summary is None:
        raise ParseError(source, f"no heading '{SUMMARY}' after '{HOW_MADE}'")
    issues = _find(paragraphs, ISSUES, summary + 1)
    if issues is None:
        raise ParseError(source, f"no heading '{ISSUES}' after '{SUMMARY}'")

    how_text = " ".join(paragraphs[how + 1 : summary])
    edition, reviewer = _reviewer(how_text, source)
    organization = _organization(how_text, source)
    data: dict[str, Any] = {
        "edition": edition,
        "organization": organization,
        "header": _header(" ".join(paragraphs[:how]), source),
        "reviewer": reviewer,
        "summary": _summary(paragraphs[summary + 1 : issues], source),
        "items": _items(paragraphs[issues + 1 :], organization["short_name"], source),
    }
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ParseError(source, f"{where}: {first['msg']}") from None


def _organization(how_text: str, source: str) -> dict[str, str]:
    match = re.match(r"^(?P<name>.+?) sent the complete case file to an expert reviewer", how_text)
    if not match:
        raise ParseError(source, f"'{HOW_MADE}': no '... sent the complete case file' sentence")
    name = match["name"]
    return {"name": name, "short_name": name.split()[0]}


def _reviewer(how_text: str, source: str) -> tuple[Edition, dict[str, str]]:
    block = re.search(r"The Expert Reviewer has the following credentials:(?P<rest>.*)$", how_text)
    if block:
        rest = block["rest"]
        found: dict[str, str] = {}
        lic = re.search(
            r"State\(s\) of Licensure:\s*(.*?)\s*(?=Certification\(s\)/Specialty:|$)", rest
        )
        spec = re.search(r"Certification\(s\)/Specialty:\s*(.*)$", rest)
        if lic and lic[1]:
            found["licensure"] = lic[1]
        if spec and spec[1]:
            found["specialty"] = spec[1].strip()
        return Edition.E2015, found
    if "disputed items/services." in how_text or "Board Certified in" in how_text:
        found = {}
        match = re.search(
            r"The expert reviewer is (?:Board Certified in (?P<specialty>.+?)"
            r"(?:, has a subspecialty in (?P<subspecialty>.+?))?)?"
            r"(?: and is | )?(?:licensed to practice in (?P<licensure>.+?))?\. He/she has been",
            how_text,
        )
        if match:
            found = {k: v for k, v in match.groupdict().items() if v}
        return Edition.E2014, found
    if "disputed items/Service." in how_text:
        return Edition.E2015, {}
    raise ParseError(source, f"'{HOW_MADE}': wording of no known edition")


def _header(text: str, source: str) -> dict[str, Any]:
    positions = []
    for field, label in HEADER_LABELS.items():
        match = re.search(label, text)
        if match:
            positions.append((match.start(), match.end(), field))
    positions.sort()
    header: dict[str, Any] = {}
    for i, (_, end, field) in enumerate(positions):
        stop = positions[i + 1][0] if i + 1 < len(positions) else len(text)
        value = " ".join(text[end:stop].split())
        if not value:
            continue
        if field == "case_number":
            header[field] = value
        elif field == "priority":
            header[field] = value.lower()
        else:
            header[field] = _date(value, field, source)
    return header


def _date(value: str, field: str, source: str) -> date:
    for fmt in ("%m/%d/%Y", "%m-%d-%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ParseError(source, f"header {field}: expected a date like 01/31/2016, got '{value}'")


def _summary(paragraphs: list[str], source: str) -> list[str]:
    text = "\n".join(paragraphs)
    text = SUMMARY_INTRO.sub("", text, count=1).strip()
    if not text:
        raise ParseError(source, f"'{SUMMARY}' has no summary text")
    return text.split("\n")


def _items(paragraphs: list[str], short_name: str, source: str) -> list[dict[str, Any]]:
    text = ISSUES_INTRO.sub("", "\n".join(paragraphs), count=1)
    labels = re.compile(
        r"(?P<label>Claims Administrator guideline:|"
        + re.escape(short_name)
        + r" guideline:|Decision rationale:)\s*"
    )
    marks = list(labels.finditer(text))
    if not marks:
        raise ParseError(source, f"'{ISSUES}': no 'Claims Administrator guideline:' found")
    expected = [
        "Claims Administrator guideline:",
        f"{short_name} guideline:",
        "Decision rationale:",
    ]
    for i, mark in enumerate(marks):
        if mark["label"] != expected[i % 3]:
            line = text.count("\n", 0, mark.start()) + 1
            raise ParseError(
                source,
                f"'{ISSUES}', item {i // 3 + 1}: expected '{expected[i % 3]}',"
                f" found '{mark['label']}' (paragraph {line} of the section)",
            )
    if len(marks) % 3:
        raise ParseError(
            source, f"'{ISSUES}', item {len(marks) // 3 + 1}: missing '{expected[len(marks) % 3]}'"
        )
    items: list[dict[str, Any]] = []
    lead = text[: marks[0].start()]
    for k in range(0, len(marks), 3):
        ca, rv, rat = marks[k], marks[k + 1], marks[k + 2]
        following = marks[k + 3].start() if k + 3 < len(marks) else len(text)
        body = text[rat.end() : following]
        if k + 3 < len(marks):
            rationale, next_lead = _split_heading(body)
        else:
            rationale, next_lead = body, ""
        item = _heading(lead, source, k // 3 + 1)
        item["claims_administrator_basis"] = _basis(text[ca.end() : rv.start()], source)
        item["reviewer_basis"] = _basis(text[rv.end() : rat.start()], source)
        item["rationale"] = [p.strip() for p in rationale.strip().split("\n") if p.strip()]
        items.append(item)
        lead = next_lead
    return items


def _split_heading(body: str) -> tuple[str, str]:
    """A rationale runs into the next item's heading: the heading is the last paragraph, or, where
    the paragraph break was lost, what follows the rationale's last sentence."""
    body = body.rstrip()
    head, _, last = body.rpartition("\n")
    if head and re.search(DECISION + "$", last):
        return head, last
    modified = re.search(r"(?:^|(?<=[.!?\"\u201d)] ))(?=[^.]*? was the original request\. )", body)
    if modified:
        return body[: modified.start()], body[modified.start() :]
    sentence = list(re.finditer(r"[.!?\"\u201d)] (?=[A-Z0-9])", body))
    if sentence:
        cut = sentence[-1].end()
        return body[:cut], body[cut:]
    return "", body


def _heading(text: str, source: str, number: int) -> dict[str, Any]:
    text = " ".join(text.split())
    for form, eligible in zip(HEADING_FORMS, HEADING_ELIGIBLE, strict=True):
        match = form.match(text)
        if match:
            groups = match.groupdict()
            item: dict[str, Any] = {
                "request": groups["request"],
                "decision": groups["decision"].lower(),
            }
            if groups.get("original"):
                item["modification"] = {
                    "original_request": groups["original"],
                    "authorized": groups["authorized"],
                    "eligible": eligible,
                }
            return item
    shown = text if len(text) < 120 else text[:117] + "..."
    raise ParseError(
        source,
        f"'{ISSUES}', item {number}: expected a heading ending in ': Upheld' or"
        f" ': Overturned', found '{shown}'",
    )


def _basis(text: str, source: str) -> dict[str, Any]:
    text = " ".join(text.split())
    basis: dict[str, Any] = {}
    for statement, pattern in STATEMENTS.items():
        match = re.match(r"^The (?:Claims Administrator|Expert Reviewer) " + pattern + r"\s*", text)
        if match:
            basis["statement"] = statement.value
            text = text[match.end() :]
            break
    match = re.match(r"^Decision based on MTUS (.+?)\.(?= Decision based on Non-MTUS|$)\s*", text)
    if match:
        basis["mtus"] = _mtus(match[1])
        text = text[match.end() :]
    match = re.match(r"^Decision based on Non-MTUS Citation\s*(.*?)\.?$", text)
    if match:
        if match[1]:
            basis["non_mtus"] = match[1]
        text = ""
    if text:
        raise ParseError(source, f"guideline basis: cannot read '{text[:100]}'")
    return basis


_CITATION = re.compile(
    r"(?P<part>.+?) (?P<year>" + YEAR + r")(?:, Section\(s\): (?P<sections>.+?))?"
    r"(?: Page\(s\): (?P<pages>.+?))?"
    r"(?:, and (?=.+? " + YEAR + r"(?:, Section\(s\):| Page\(s\):|, and |$))|$)"
)
_YEARLESS = re.compile(r"^(?P<part>.+?)(?: Page\(s\): (?P<pages>.+))?$")


def _mtus(text: str) -> list[dict[str, Any]]:
    """'Low Back Complaints 2004, Section(s): Special Studies, and Knee Complaints 2004' (2016)
    or 'Chronic Pain Treatment Guidelines Topical analgesics Page(s): 111' (2014). A part name
    may hold ', and' itself ('Forearm, Wrist, and Hand Complaints'): a citation ends only
    after its year or its sections."""
    citations = []
    position = 0
    while position < len(text):
        match = _CITATION.match(text, position)
        if not match:
            match = _YEARLESS.match(text, position)
            assert match is not None
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
