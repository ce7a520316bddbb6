"""The IMR rules a case must keep before a letter goes out: each rule has an id and a severity.

Errors are what no determination may say (dates out of order, an item without a basis, a
conclusion that contradicts the decision, no reviewer qualifications). What the model itself
guarantees (a decision, a rationale, the case number's form) is not checked again here: a case
cannot hold anything else, whether loaded or changed in code. Warnings are the legal clock,
which the header alone cannot prove: a late application or a late decision may have a reason
the case does not record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import pairwise
from pathlib import Path

from ..errors import CaseError, Problem
from .loading import line_of, load_case, node_tree, read_case_text
from .model import Case, Decision, GuidelineBasis, Priority


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One rule broken: where (a field path), and what was expected and found."""

    rule_id: str
    severity: Severity
    field_path: str
    message: str
    line: int | None = None  # where the field stands in the case file, when known

    def __str__(self) -> str:
        where = self.field_path if self.line is None else f"{self.field_path} (line {self.line})"
        return f"{where}: {self.message} [{self.rule_id} {self.severity}]"


# A check yields (field path, message) pairs; its rule adds the id and the severity.
Check = Callable[[Case], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    check: Check

    def findings(self, case: Case) -> list[Finding]:
        return [Finding(self.id, self.severity, path, msg) for path, msg in self.check(case)]


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: Severity, title: str) -> Callable[[Check], Check]:
    """Register a check under its rule id and severity."""

    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} is registered twice")
        RULES[rule_id] = Rule(rule_id, severity, title, check)
        return check

    return register


def check(case: Case) -> list[Finding]:
    """Every rule over one case: errors first, then warnings, each group in rule order."""
    found = [f for r in RULES.values() for f in r.findings(case)]
    return sorted(found, key=lambda f: (f.severity is not Severity.ERROR, f.rule_id))


def check_case_file(source: str | Path, text: str | None = None) -> tuple[Case, list[Finding]]:
    """Load a case file and run every rule; the findings carry their line in the file, as the
    model's own problems do. (A letter: imrgen.readers.read_letter, then check.)"""
    if text is None:
        text = read_case_text(source)
    case = load_case(source, text)
    findings = check(case)
    if findings:
        root = node_tree(text)
        findings = [replace(f, line=line_of(root, f.field_path)) for f in findings]
    return case, findings


def error_findings(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def warning_findings(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.WARNING]


def format_findings(source: str | Path, findings: list[Finding]) -> str:
    """A report for one case file: a count line, then one finding a line."""
    n_err, n_warn = len(error_findings(findings)), len(warning_findings(findings))
    head = f"{source}: {n_err} error(s), {n_warn} warning(s)"
    return "\n".join([head, *(f"  {f}" for f in findings)])


def raise_for_errors(source: str | Path, findings: list[Finding]) -> None:
    """Raise CaseError (one problem per error finding) when a rule error stands in the way."""
    found = error_findings(findings)
    if found:
        raise CaseError(
            source,
            [Problem(f.field_path, f"{f.message} [{f.rule_id}]", f.line) for f in found],
        )


# --- errors -------------------------------------------------------------------------------

# The order the process runs in: injury, utilization review denial, application for IMR,
# assignment to a reviewer, decision. Equal dates are allowed (the corpus has same-day steps).
DATE_ORDER = (
    ("date_of_injury", "date of injury"),
    ("ur_denial_date", "UR denial"),
    ("application_received", "application received"),
    ("date_assigned", "date assigned"),
    ("decision_date", "decision"),
)


@rule("IMR001", Severity.ERROR, "header dates out of order")
def _dates_in_order(case: Case) -> Iterator[tuple[str, str]]:
    present = [
        (name, label, value)
        for name, label in DATE_ORDER
        if (value := getattr(case.header, name)) is not None
    ]
    # Only neighbours among the dates present: one wrong date is reported once or twice, not
    # against every other date.
    for (name_a, label_a, a), (name_b, label_b, b) in pairwise(present):
        if a > b:
            yield (
                f"header.{name_b}",
                f"expected the {label_b} on or after the {label_a}"
                f" (header.{name_a} {a.isoformat()}), got {b.isoformat()}",
            )
    records, decided = case.header.records_received, case.header.decision_date
    if records is not None and decided is not None and records > decided:
        yield (
            "header.records_received",
            f"expected the records received on or before the decision"
            f" (header.decision_date {decided.isoformat()}), got {records.isoformat()}",
        )


_SIDES = (
    ("claims_administrator_basis", "the claims administrator's"),
    ("reviewer_basis", "the reviewer's"),
)


@rule("IMR003", Severity.ERROR, "an item without a basis on either side")
def _item_has_bases(case: Case) -> Iterator[tuple[str, str]]:
    for i, item in enumerate(case.items):
        for side, whose in _SIDES:
            basis: GuidelineBasis = getattr(item, side)
            if basis.is_empty:
                yield (
                    f"items[{i}].{side}",
                    f"expected {whose} basis (a statement, MTUS citations or a non-MTUS"
                    " citation), got none",
                )


@rule("IMR005", Severity.ERROR, "a rationale whose conclusion contradicts the decision")
def _conclusion_fits_decision(case: Case) -> Iterator[tuple[str, str]]:
    for i, item in enumerate(case.items):
        decision = item.decision
        verdict = conclusion(item.rationale)
        if verdict is None:
            continue
        necessary, sentence = verdict
        if necessary and decision == Decision.UPHELD:
            yield (
                f"items[{i}].rationale",
                "expected a conclusion that the request is not medically necessary"
                f" (items[{i}].decision is upheld), got {_quote(sentence)}",
            )
        elif not necessary and decision == Decision.OVERTURNED:
            yield (
                f"items[{i}].rationale",
                "expected a conclusion that the request is medically necessary"
                f" (items[{i}].decision is overturned), got {_quote(sentence)}",
            )


@rule("IMR006", Severity.ERROR, "no reviewer qualifications")
def _reviewer_qualified(case: Case) -> Iterator[tuple[str, str]]:
    if not case.reviewer.specialty and not case.reviewer.licensure:
        yield (
            "reviewer",
            "expected the reviewer's qualifications (reviewer.specialty and/or"
            " reviewer.licensure), got neither",
        )


# --- warnings -----------------------------------------------------------------------------

APPLICATION_DAYS = 35  # 30 days to apply after the UR denial, plus 5 for mailing
DECISION_DAYS = {Priority.STANDARD: 30, Priority.EXPEDITED: 3}


@rule("IMR101", Severity.WARNING, "application more than 35 days after the UR denial")
def _application_in_time(case: Case) -> Iterator[tuple[str, str]]:
    denied, applied = case.header.ur_denial_date, case.header.application_received
    if denied is not None and applied is not None:
        days = (applied - denied).days
        if days > APPLICATION_DAYS:
            yield (
                "header.application_received",
                f"expected within {APPLICATION_DAYS} days of the UR denial (30 days plus 5 for"
                f" mailing; header.ur_denial_date {denied.isoformat()}), got"
                f" {applied.isoformat()}, {days} days after",
            )


@rule("IMR102", Severity.WARNING, "decision later than 30 (standard) or 3 (expedited) days")
def _decision_in_time(case: Case) -> Iterator[tuple[str, str]]:
    decided = case.header.decision_date
    start_field = "records_received"
    start = case.header.records_received
    if start is None:
        # Where the records date is missing the clock is counted from the assignment, which the
        # published letters often exceed by a few days (the records come later).
        start_field = "date_assigned"
        start = case.header.date_assigned
    if decided is None or start is None:
        return
    priority = case.header.priority
    if priority is not None:
        limit, kind = DECISION_DAYS[priority], priority.value
    else:
        limit, kind = DECISION_DAYS[Priority.STANDARD], "standard (priority not given)"
    days = (decided - start).days
    if days > limit:
        what = "receipt of the records" if start_field == "records_received" else "assignment"
        yield (
            "header.decision_date",
            f"expected within {limit} days of {what} for a {kind} review"
            f" (header.{start_field} {start.isoformat()}), got {decided.isoformat()},"
            f" {days} days after",
        )


# --- the conclusion of a rationale -----------------------------------------------------------

# A verdict is a phrase about medical necessity. It is negative when a negation stands in its
# clause from the word before the clause's first verb "to be" onwards: "is not medically
# necessary", "is determined to not be medically necessary", "should not be considered medically
# necessary", "is not supported by the records as being medically necessary". Starting at the
# verb keeps a negation inside the request's name out ("physical therapy not to exceed six
# sessions is medically necessary"), and clauses end at punctuation and "and"/"but", so "Although
# the MRI is not indicated, the therapy is medically necessary" is positive.
_NEGATION = re.compile(r"\b(?:not|cannot|never|no longer)\b|n't\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[,;:]|\b(?:and|but|however|although|while)\b", re.IGNORECASE)
_TO_BE = re.compile(r"(?:\S+\s+)?\b(?:is|are|was|were|be|been|being)\b", re.IGNORECASE)
# A quoted request name may hold a negation of its own ("Do not resuscitate order").
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")
_ADJECTIVE = re.compile(r"\bmedically\s+(?:necessary|appropriate\s+and\s+necessary)\b", re.I)
# The noun form is a verdict only when it is (not) established: "the medical necessity of the
# request is not established" is one; "This medical necessity decision should not be
# interpreted as ..." (the opioid tapering notice that follows some conclusions) is not.
_NOUN = re.compile(
    r"\bmedical\s+necessity\b[^.;:]*?\b(?:established|demonstrated|met)\b"
    r"|\bestablish(?:es|ed)?\s+(?:the\s+)?medical\s+necessity\b",
    re.IGNORECASE,
)
# "is certified" / "is not certified" / "non-certified", not "a board certified surgeon".
_CERTIFIED = re.compile(
    r"\bnon-?certified\b|\b(?:is|are|was|were|be|been)\s+(?:not\s+)?certified\b", re.I
)
_NON = re.compile(r"\bnon-?certified\b", re.IGNORECASE)
_SUPPORTED = re.compile(r"\b(?:is|are|was|were|be|been)\s+(?:\w+\s+)?supported\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”']?\s+(?=[A-Z\"“(])")


def _negated(sentence: str, start: int, end: int) -> bool:
    """Whether the clause holding sentence[start:end] negates it."""
    clause_start = 0
    for m in _CLAUSE_END.finditer(sentence, 0, start):
        clause_start = m.end()
    clause = _QUOTED.sub(" ", sentence[clause_start:end])
    verb = _TO_BE.search(clause)
    return bool(_NEGATION.search(clause[verb.start() :] if verb else clause))


def _verdicts(sentence: str) -> list[tuple[int, bool]]:
    """(position, necessary?) for every verdict phrase in a sentence."""
    found: list[tuple[int, bool]] = []
    for pattern in (_ADJECTIVE, _NOUN, _CERTIFIED, _SUPPORTED):
        for m in pattern.finditer(sentence):
            negative = bool(_NON.fullmatch(m.group(0))) or _negated(sentence, m.start(), m.end())
            found.append((m.start(), not negative))
    return sorted(found)


def sentences(paragraphs: Iterable[str]) -> list[str]:
    return [s for p in paragraphs for s in _SENTENCE_END.split(p.strip()) if s]


def conclusion(paragraphs: Iterable[str]) -> tuple[bool, str] | None:
    """The rationale's final verdict: (medically necessary?, the sentence that says so).

    The last sentence that rules on necessity decides; what follows it (the opioid tapering
    notice, a restated modification) does not. None when no sentence rules on it.
    """
    for sentence in reversed(sentences(paragraphs)):
        found = _verdicts(sentence)
        if found:
            return found[-1][1], sentence
    return None


def _quote(sentence: str, limit: int = 160) -> str:
    text = sentence if len(sentence) <= limit else "..." + sentence[-(limit - 3) :]
    return f'"{text}"'
