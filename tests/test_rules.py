"""The IMR rule checks, and `imrgen new`: each rule catches a real letter broken in one place;
every real letter passes without an error; the starter case lists its blanks and, filled in,
loads and passes the rules."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REAL_LETTERS, letter_id
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError
from strategies import case as cases

import imrgen
from imrgen.case import rules
from imrgen.case.loading import case_from_data, dump_case, load_case
from imrgen.case.model import (
    Case,
    Decision,
    Edition,
    GuidelineBasis,
    Priority,
    Reviewer,
)
from imrgen.case.rules import Severity, check, conclusion
from imrgen.case.schema import case_schema
from imrgen.cli import main
from imrgen.cli.drafting import SCHEMA_NAME, starter

BASE = "CM16-0213037"  # every header date present; decided 30 days after assignment
LATE = "CM16-0224814"  # decided 37 days after assignment, which the real letters often are
OVERTURNED = "CM16-0230548"  # items: upheld, then overturned


@pytest.fixture(scope="module")
def letters(parsed_letters: dict[Path, Case]) -> dict[str, Case]:
    return {path.stem: case for path, case in parsed_letters.items()}


def _first(case: Case, decision: Decision) -> int:
    return next(i for i, item in enumerate(case.items) if item.decision is decision)


def _flip_conclusion(paragraphs: list[str], necessary: bool) -> list[str]:
    """The rationale with its last verdict sentence rewritten to say the opposite."""
    verdict = conclusion(paragraphs)
    assert verdict is not None
    old = verdict[1]
    new = (
        "Therefore, the request is medically necessary."
        if necessary
        else "Therefore, the request is not medically necessary."
    )
    last = max(i for i, p in enumerate(paragraphs) if old in p)
    out = list(paragraphs)
    out[last] = out[last].replace(old, new)
    return out


# Each breaker changes one thing in a real letter: (base letter, change, rule, field path,
# words the message must hold).
Change = Callable[[Case], None]


def _days(field: str, other: str, days: int) -> Change:
    def change(case: Case) -> None:
        setattr(case.header, field, getattr(case.header, other) + timedelta(days=days))

    return change


def _set(path: str, value: Any) -> Change:
    def change(case: Case) -> None:
        *parents, last = path.split(".")
        target: Any = case
        for part in parents:
            target = getattr(target, part)
        setattr(target, last, value)

    return change


def _upheld_says_necessary(case: Case) -> None:
    i = _first(case, Decision.UPHELD)
    case.items[i].rationale = _flip_conclusion(case.items[i].rationale, necessary=True)


def _overturned_says_not_necessary(case: Case) -> None:
    i = _first(case, Decision.OVERTURNED)
    case.items[i].rationale = _flip_conclusion(case.items[i].rationale, necessary=False)


def _assigned_before_denial_without_application(case: Case) -> None:
    assert case.header.ur_denial_date is not None
    case.header.application_received = None  # the date between them is missing
    case.header.date_assigned = case.header.ur_denial_date - timedelta(days=1)


def _decision_flipped(case: Case) -> None:
    case.items[0].decision = Decision.OVERTURNED


BREAKERS: dict[str, tuple[str, Change, str, str, list[str]]] = {
    "ur-denial-before-injury": (
        BASE,
        _days("ur_denial_date", "date_of_injury", -1),
        "IMR001",
        "header.ur_denial_date",
        ["header.date_of_injury", "2016-10-13", "2016-10-12", "UR denial"],
    ),
    "application-before-ur-denial": (
        LATE,
        _days("application_received", "ur_denial_date", -3),
        "IMR001",
        "header.application_received",
        ["header.ur_denial_date", "2016-11-04", "2016-11-01"],
    ),
    "assigned-before-application": (
        BASE,
        _days("application_received", "date_assigned", 1),
        "IMR001",
        "header.date_assigned",
        ["header.application_received", "2016-11-10", "got 2016-11-09"],
    ),
    "decision-before-assignment": (
        BASE,
        _days("decision_date", "date_assigned", -2),
        "IMR001",
        "header.decision_date",
        ["header.date_assigned", "2016-11-09", "2016-11-07"],
    ),
    "assigned-before-ur-denial-application-missing": (
        LATE,
        _assigned_before_denial_without_application,
        "IMR001",
        "header.date_assigned",
        ["header.ur_denial_date", "2016-11-04", "2016-11-03"],
    ),
    "records-after-decision": (
        BASE,
        _days("records_received", "decision_date", 1),
        "IMR001",
        "header.records_received",
        ["header.decision_date", "2016-12-09", "2016-12-10"],
    ),
    "no-claims-administrator-basis": (
        BASE,
        lambda case: setattr(case.items[0], "claims_administrator_basis", GuidelineBasis()),
        "IMR003",
        "items[0].claims_administrator_basis",
        ["claims administrator's basis", "got none"],
    ),
    "no-reviewer-basis": (
        OVERTURNED,
        lambda case: setattr(case.items[-1], "reviewer_basis", GuidelineBasis()),
        "IMR003",
        "reviewer_basis",
        ["reviewer's basis", "got none"],
    ),
    "upheld-but-necessary": (
        BASE,
        _upheld_says_necessary,
        "IMR005",
        "items[0].rationale",
        ["upheld", "Therefore, the request is medically necessary."],
    ),
    "overturned-but-not-necessary": (
        OVERTURNED,
        _overturned_says_not_necessary,
        "IMR005",
        "rationale",
        ["overturned", "Therefore, the request is not medically necessary."],
    ),
    "decision-flipped": (
        BASE,
        _decision_flipped,
        "IMR005",
        "items[0].rationale",
        ["overturned", "is determined to be not medically necessary"],
    ),
    "no-reviewer-qualifications": (
        BASE,
        _set("reviewer", Reviewer()),
        "IMR006",
        "reviewer",
        ["reviewer.specialty", "reviewer.licensure", "got neither"],
    ),
    "application-36-days-after-denial": (
        LATE,
        _days("ur_denial_date", "application_received", -36),
        "IMR101",
        "header.application_received",
        ["35 days", "header.ur_denial_date 2016-10-16", "2016-11-21", "36 days after"],
    ),
    "decision-31-days-after-assignment": (
        BASE,
        _days("decision_date", "date_assigned", 31),
        "IMR102",
        "header.decision_date",
        ["30 days of assignment", "standard", "header.date_assigned 2016-11-09", "31 days"],
    ),
    "expedited-decision-after-3-days": (
        BASE,
        _set("header.priority", Priority.EXPEDITED),
        "IMR102",
        "header.decision_date",
        ["3 days of assignment", "expedited", "30 days after"],
    ),
    "decision-31-days-after-records": (
        BASE,
        _days("records_received", "decision_date", -31),
        "IMR102",
        "header.decision_date",
        ["30 days of receipt of the records", "header.records_received 2016-11-08"],
    ),
}


def test_every_rule_has_a_breaker_and_ids_are_unique() -> None:
    assert {rule_id for _, _, rule_id, _, _ in BREAKERS.values()} == set(rules.RULES)
    assert all(re.fullmatch(r"IMR\d{3}", rule_id) for rule_id in rules.RULES)
    severities = {r.id: r.severity for r in rules.RULES.values()}
    assert {k for k, v in severities.items() if v is Severity.WARNING} == {"IMR101", "IMR102"}


@pytest.mark.parametrize("name", list(BREAKERS))
def test_a_rule_catches_a_real_letter_broken_in_one_place(
    name: str, letters: dict[str, Case]
) -> None:
    base_name, change, rule_id, field_path, words = BREAKERS[name]
    base = letters[base_name]
    broken = base.model_copy(deep=True)
    change(broken)
    before = {(f.rule_id, f.field_path) for f in check(base)}
    new = [f for f in check(broken) if (f.rule_id, f.field_path) not in before]
    assert [f.rule_id for f in new] == [rule_id], new
    finding = new[0]
    assert finding.severity is rules.RULES[rule_id].severity
    assert field_path in finding.field_path
    text = str(finding)
    assert text.startswith(finding.field_path + ": ")
    assert f"[{rule_id} {finding.severity}]" in text
    for word in words:
        assert word in finding.message, (word, finding.message)


# What the model guarantees, the rules no longer check: a case cannot hold it, whether loaded
# from a file or changed in code (issue 19, 13).
MODEL_REFUSES: dict[str, tuple[str, Any, str]] = {
    "unknown-decision": ("items.0.decision", "approved", "'upheld' or 'overturned'"),
    "no-decision": ("items.0.decision", None, "'upheld' or 'overturned'"),
    "no-rationale": ("items.0.rationale", [], "at least 1 item"),
    "blank-paragraph": ("items.0.rationale", ["  "], "expected text, got only white space"),
    "case-number-without-cm": ("header.case_number", "16-0213037", "should match pattern"),
    "case-number-short": ("header.case_number", "X-1", "should match pattern"),
    "impossible-date": ("header.decision_date", "2016-02-30", "day value is outside"),
    "subspecialty-in-2015": (
        "reviewer",
        Reviewer(specialty="Family Practice", subspecialty="Pain Medicine"),
        "prints no subspecialty",
    ),
}


@pytest.mark.parametrize("name", list(MODEL_REFUSES))
def test_the_model_refuses_an_invalid_assignment(name: str, letters: dict[str, Case]) -> None:
    path, value, words = MODEL_REFUSES[name]
    case = letters[BASE].model_copy(deep=True)
    before = case.model_dump()
    *parents, last = path.split(".")
    target: Any = case
    for part in parents:
        target = target[int(part)] if part.isdigit() else getattr(target, part)
    with pytest.raises(ValidationError, match=re.escape(words)):
        setattr(target, last, value)
    assert case.model_dump() == before  # nothing changed


def test_a_case_number_assigned_in_code_fails(letters: dict[str, Case]) -> None:
    case = letters[BASE].model_copy(deep=True)
    with pytest.raises(ValidationError, match="case_number"):
        case.header.case_number = "X-1"
    assert case.header.case_number == BASE


def test_the_rules_are_only_what_the_model_cannot_check() -> None:
    assert set(rules.RULES) == {"IMR001", "IMR003", "IMR005", "IMR006", "IMR101", "IMR102"}
    source = Path(rules.__file__).read_text(encoding="utf-8")
    assert "getattr(case.header, name, None)" not in source
    assert "isinstance(" not in source


def test_a_decision_on_the_limit_is_in_time(letters: dict[str, Case]) -> None:
    base = letters[BASE]
    assert base.header.decision_date is not None and base.header.date_assigned is not None
    assert (base.header.decision_date - base.header.date_assigned).days == 30
    assert not [f for f in check(base) if f.rule_id == "IMR102"]


def test_records_received_restarts_the_clock(letters: dict[str, Case]) -> None:
    late = letters[LATE]
    assert [f.rule_id for f in check(late)] == ["IMR102"]
    case = late.model_copy(deep=True)
    assert case.header.date_assigned is not None and case.header.decision_date is not None
    case.header.records_received = case.header.decision_date - timedelta(days=30)
    assert check(case) == []


@pytest.mark.parametrize("path", REAL_LETTERS, ids=letter_id)
def test_a_real_letter_breaks_no_rule(path: Path, letters: dict[str, Case]) -> None:
    findings = check(letters[path.stem])
    assert rules.error_findings(findings) == []
    assert all(f.rule_id in rules.RULES and f.field_path.startswith("header.") for f in findings)


def test_every_real_conclusion_is_found_and_fits_its_decision(
    letters: dict[str, Case],
) -> None:
    seen: Counter[Decision] = Counter()
    for name, case in letters.items():
        for i, item in enumerate(case.items):
            verdict = conclusion(item.rationale)
            assert verdict is not None, (name, i)
            assert verdict[0] is (item.decision is Decision.OVERTURNED), (name, i, verdict)
            seen[item.decision] += 1
    assert seen[Decision.UPHELD] > 100 and seen[Decision.OVERTURNED] > 10


@pytest.mark.parametrize(
    ("sentence", "necessary"),
    [
        ("As such, the request is not medically necessary.", False),
        ("The request is medically necessary and appropriate.", True),
        ("Therefore, the request is considered not medically necessary.", False),
        ("The request for MRI is determined to not be medically necessary.", False),
        (
            "The MRI is not supported by the records as being medically necessary at this time.",
            False,
        ),
        ("Likewise, the medical necessity of this request is not established.", False),
        ("Medical necessity has been established.", True),
        ("Therefore, the request is certified.", True),
        ("Therefore, the request is non-certified.", False),
        ("Therefore, the request is supported.", True),
        ("The request is not supported by the evidence based guidelines.", False),
        ("Although the MRI is not indicated, the therapy is medically necessary.", True),
        ('The request for "Do not resuscitate order" is medically necessary.', True),
        ("Therefore, physical therapy not to exceed six sessions is medically necessary.", True),
        ("The request is not excessive and is medically necessary.", True),
        ("The request cannot be considered medically necessary.", False),
        ("Therefore, the continued use would not be supported.", False),
        ("This request does not establish medical necessity.", False),
        ("Both EMG and NCV studies are medically necessary.", True),
        ("The request is not certified.", False),
    ],
)
def test_a_conclusion_reads_as_its_words_say(sentence: str, necessary: bool) -> None:
    tail = "This medical necessity decision should not be interpreted as a reason to stop."
    assert conclusion(["Some history.", f"{sentence} {tail}"]) == (necessary, sentence)


def _resolve(case: Case, field_path: str) -> Any:
    target: Any = case
    for name, index in re.findall(r"(\w+)(?:\[(\d+)\])?", field_path):
        target = getattr(target, name)
        if index:
            target = target[int(index)]
    return target


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_rules_on_generated_cases_agree_with_a_plain_reading(case: Case) -> None:
    findings = check(case)
    for finding in findings:
        assert finding.severity is rules.RULES[finding.rule_id].severity
        _resolve(case, finding.field_path)  # names a field the case has
    dates = [getattr(case.header, name) for name, _ in rules.DATE_ORDER]
    present = [d for d in dates if d is not None]
    in_order = present == sorted(present)
    assert in_order is not any(f.rule_id == "IMR001" for f in findings)
    qualified = bool(case.reviewer.specialty or case.reviewer.licensure)
    assert qualified is not any(f.rule_id == "IMR006" for f in findings)
    assert not [f for f in findings if f.rule_id == "IMR003"]


def test_a_rationale_without_a_verdict_is_not_judged(letters: dict[str, Case]) -> None:
    assert conclusion(["The physician is board certified in orthopedics."]) is None
    case = letters[BASE].model_copy(deep=True)
    case.items[0].rationale = ["The guidelines were reviewed."]
    assert not [f for f in check(case) if f.rule_id == "IMR005"]


def test_warnings_over_the_real_letters(letters: dict[str, Case]) -> None:
    counts: Counter[str] = Counter()
    for name, case in letters.items():
        findings = check(case)
        assert all(f.severity is Severity.WARNING for f in findings)
        counts.update(f.rule_id for f in findings)
        header = case.header
        late = (
            header.decision_date is not None
            and header.date_assigned is not None
            and (header.decision_date - header.date_assigned).days > 30
        )
        assert any(f.rule_id == "IMR102" for f in findings) is late, name
        slow = (
            header.application_received is not None
            and header.ur_denial_date is not None
            and (header.application_received - header.ur_denial_date).days > 35
        )
        assert any(f.rule_id == "IMR101" for f in findings) is slow, name
    print(f"\nwarnings over {len(letters)} real letters: {dict(sorted(counts.items()))}")
    assert set(counts) <= {"IMR101", "IMR102"}


def test_findings_format_and_raise(letters: dict[str, Case]) -> None:
    case = letters[BASE].model_copy(deep=True)
    case.reviewer = Reviewer()
    assert case.header.date_assigned is not None
    case.header.decision_date = case.header.date_assigned + timedelta(days=40)
    findings = check(case)
    assert [f.severity for f in findings] == [Severity.ERROR, Severity.WARNING]
    report = rules.format_findings("case.yaml", findings)
    lines = report.splitlines()
    assert lines[0] == "case.yaml: 1 error(s), 1 warning(s)"
    assert lines[1].startswith("  reviewer: ") and lines[1].endswith("[IMR006 error]")
    assert lines[2].endswith("[IMR102 warning]")
    with pytest.raises(imrgen.CaseError) as caught:
        rules.raise_for_errors("case.yaml", findings)
    assert [p.location for p in caught.value.problems] == ["reviewer"]
    assert "case.yaml" in str(caught.value) and "[IMR006]" in str(caught.value)
    rules.raise_for_errors("case.yaml", rules.warning_findings(findings))  # warnings never raise


# --- imrgen new ------------------------------------------------------------------------------

BLANKS = {
    "header.case_number",
    "header.date_of_injury",
    "header.ur_denial_date",
    "header.application_received",
    "header.date_assigned",
    "header.records_received",
    "header.decision_date",
    "header.priority",
    "summary[0]",
    "items[0].request",
    "items[0].decision",
    "items[0].claims_administrator_basis.mtus[0].part",
    "items[0].reviewer_basis.mtus[0].part",
    "items[0].rationale[0]",
}

DATES = ["2016-10-13", "2016-11-03", "2016-11-03", "2016-11-09", "2016-11-14", "2016-12-09"]


def fill(text: str) -> str:
    """What a drafter does: replace every blank of the starter (and only those)."""
    dates = iter(DATES)
    text = re.sub(r"(?<=: )YYYY-MM-DD", lambda _: next(dates), text)
    text = text.replace("case_number: CMyy-nnnnnnn", "case_number: CM17-0001234")
    text = text.replace("standard-or-expedited", "standard")
    text = text.replace("upheld-or-overturned", "upheld")
    text = text.replace("  specialty: null  # required", "  specialty: Orthopedic Surgery  #", 1)
    text = text.replace("- part: null", "- part: Low Back Complaints")
    text = text.replace("request: null", "request: MRI of the lumbar spine")
    text = re.sub(r"(summary:.*\n  - )null", r"\1The injured worker is a 52 year old male.", text)
    text = re.sub(
        r"(rationale:.*\n      - )null", r"\1The request is not medically necessary.", text
    )
    return text


def _new(tmp_path: Path, *args: str) -> tuple[Path, str]:
    target = tmp_path / "draft.yaml"
    assert main(["new", str(target), *args]) == 0
    return target, target.read_text(encoding="utf-8")


def test_the_starter_names_its_schema_and_writes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, text = _new(tmp_path)
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_NAME}"
    written = (tmp_path / SCHEMA_NAME).read_text(encoding="utf-8")
    assert json.loads(written) == case_schema()
    capsys.readouterr()
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == written  # the same schema `imrgen schema` prints


def test_the_untouched_starter_lists_every_blank(tmp_path: Path) -> None:
    target, _ = _new(tmp_path)
    with pytest.raises(imrgen.CaseError) as caught:
        load_case(target)
    problems = caught.value.problems
    assert {p.location for p in problems} == BLANKS
    for problem in problems:
        assert problem.line is not None and "got" in problem.message, problem
    assert str(target) in str(caught.value)


def test_validate_on_the_untouched_starter_fails_naming_the_blanks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target, _ = _new(tmp_path)
    capsys.readouterr()
    assert main(["validate", str(target)]) == 1
    err = capsys.readouterr().err
    assert "14 problem(s)" in err
    assert "items[0].decision (line " in err and "'upheld-or-overturned'" in err
    assert "header.date_assigned (line " in err and "'YYYY-MM-DD'" in err


def test_the_filled_starter_loads_and_breaks_no_rule(tmp_path: Path) -> None:
    target, text = _new(tmp_path)
    target.write_text(fill(text), encoding="utf-8")
    case = load_case(target)
    assert case.header.case_number == "CM17-0001234"
    assert case.header.records_received is not None
    assert case.items[0].reviewer_basis.mtus[0].part == "Low Back Complaints"
    assert case.parties is not None and case.parties.employee is not None
    assert check(case) == []
    assert imrgen.render(case, "txt")  # a complete case renders


def test_the_filled_starter_without_qualifications_or_basis_breaks_rules(
    tmp_path: Path,
) -> None:
    _, text = _new(tmp_path)
    data = yaml.safe_load(fill(text))
    data["reviewer"]["specialty"] = None
    data["items"][0]["claims_administrator_basis"] = {}
    data["items"][0]["reviewer_basis"]["mtus"] = []
    found = {(f.rule_id, f.field_path) for f in check(case_from_data(data))}
    assert found == {
        ("IMR006", "reviewer"),
        ("IMR003", "items[0].claims_administrator_basis"),
        ("IMR003", "items[0].reviewer_basis"),
    }


def _fields(model: type[Any], prefix: str = "") -> set[str]:
    """Every field path of a model, lists written as []."""
    out: set[str] = set()
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        out.add(path)
        for arg in _model_args(info.annotation):
            out |= _fields(arg, f"{path}{'[]' if _is_list(info.annotation) else ''}.")
    return out


def _model_args(annotation: Any) -> list[type[Any]]:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [a for arg in getattr(annotation, "__args__", ()) for a in _model_args(arg)]


def _is_list(annotation: Any) -> bool:
    text = str(annotation)
    return text.startswith("list[") or "list[" in text.split("|")[0]


def _keys(data: Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            out.add(f"{prefix}{key}")
            out |= _keys(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for value in data:
            out |= _keys(value, prefix[:-1] + "[].")
    return out


def test_the_starter_holds_every_field_of_the_model(tmp_path: Path) -> None:
    _, text = _new(tmp_path)
    present = _keys(yaml.safe_load(text))
    missing = _fields(Case) - present
    # Optional structures most letters lack are shown as commented examples.
    assert missing == {
        "items[].modification.original_request",
        "items[].modification.authorized",
        "items[].modification.eligible",
        "parties.other_providers[].name",
        "parties.other_providers[].specialty",
    }
    comments = "\n".join(line for line in text.splitlines() if "#" in line)
    for path in missing:
        assert f"{path.rsplit('.', 1)[1]}:" in comments, path


def test_the_schema_checks_what_the_model_checks(tmp_path: Path) -> None:
    """What an editor with the schema flags, the model refuses, and the filled starter passes."""
    import jsonschema

    _, text = _new(tmp_path)
    validator = jsonschema.Draft202012Validator(
        case_schema(), format_checker=jsonschema.FormatChecker()
    )

    def flagged(yaml_text: str) -> set[str]:
        data = json.loads(json.dumps(yaml.safe_load(yaml_text), default=str))
        return {
            "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)[1:]
            for e in validator.iter_errors(data)
        }

    assert flagged(text) == BLANKS
    assert flagged(fill(text)) == set()


def test_new_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target, text = _new(
        tmp_path, "--items", "3", "--edition", "2014", "--schema", "https://x/s.json"
    )
    assert text.startswith("# yaml-language-server: $schema=https://x/s.json\n")
    assert not (tmp_path / SCHEMA_NAME).exists()
    with pytest.raises(imrgen.CaseError) as caught:
        load_case(target)
    locations = {p.location for p in caught.value.problems}
    assert {"items[0].request", "items[2].request", "items[2].decision"} <= locations
    assert load_case(target, fill(text)).edition is Edition.E2014

    before = target.read_bytes()
    capsys.readouterr()
    assert main(["new", str(target)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert target.read_bytes() == before
    assert main(["new", str(target), "--force"]) == 0
    assert target.read_bytes() != before

    assert main(["new", str(tmp_path / "draft.txt")]) == 2
    assert "expected a .yaml or .yml" in capsys.readouterr().err
    (tmp_path / "folder.yaml").mkdir()
    assert main(["new", str(tmp_path / "folder.yaml"), "--force"]) == 2
    assert "is a folder" in capsys.readouterr().err
    (tmp_path / "plain").write_text("not a folder", encoding="utf-8")
    assert main(["new", str(tmp_path / "plain" / "draft.yaml")]) == 2
    assert "plain/draft.yaml: cannot write it" in capsys.readouterr().err
    assert main(["new"]) == 0
    assert capsys.readouterr().out == starter()


# --- rules in `imrgen validate` and `imrgen render` ---------------------------------------


def _write_case(tmp_path: Path, case: Case, name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(dump_case(case), encoding="utf-8")
    return path


def _decided_before_assignment(letters: dict[str, Case]) -> Case:
    case = letters[BASE].model_copy(deep=True)
    assert case.header.date_assigned is not None
    case.header.decision_date = case.header.date_assigned - timedelta(days=2)
    return case


def test_validate_reports_rule_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], letters: dict[str, Case]
) -> None:
    path = _write_case(tmp_path, _decided_before_assignment(letters), "bad")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: 1 error(s), 0 warning(s)" in err
    line = _line_number(path, "  decision_date:")
    assert (
        f"  header.decision_date (line {line}): expected the decision on or after the date"
        " assigned" in err
    )
    assert "[IMR001 error]" in err


def _line_number(path: Path, start: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.startswith(start))


def test_rule_errors_carry_the_line_in_yaml_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], letters: dict[str, Case]
) -> None:
    """A rule's finding names its line as the model's problems do (issue 12, 14)."""
    case = _decided_before_assignment(letters)
    as_json = tmp_path / "bad.json"
    as_json.write_text(dump_case(case, "json"), encoding="utf-8")
    line = _line_number(as_json, '    "decision_date":')
    assert main(["validate", str(as_json)]) == 1
    assert f"header.decision_date (line {line}): expected" in capsys.readouterr().err
    as_yaml = _write_case(tmp_path, case, "bad")
    out = tmp_path / "out"
    assert main(["render", str(as_yaml), "-o", str(out)]) == 1
    line = _line_number(as_yaml, "  decision_date:")
    assert f"header.decision_date (line {line}): expected" in capsys.readouterr().err


def test_validate_passes_a_case_with_only_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], letters: dict[str, Case]
) -> None:
    path = _write_case(tmp_path, letters[LATE], "late")
    assert main(["validate", str(path)]) == 0
    assert "0 error(s), 1 warning(s)" in capsys.readouterr().err
    assert main(["validate", str(_write_case(tmp_path, letters[BASE], "good"))]) == 0
    assert capsys.readouterr().out.endswith("good.yaml: valid\n")


def test_render_refuses_a_case_with_errors_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], letters: dict[str, Case]
) -> None:
    path = _write_case(tmp_path, _decided_before_assignment(letters), "bad")
    out = tmp_path / "out"
    assert main(["render", str(path), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "header.decision_date" in err and "[IMR001]" in err
    assert not (out / "bad.html").exists()
    assert main(["render", str(path), "-o", str(out), "--force"]) == 0
    assert "[IMR001 error]" in capsys.readouterr().err
    assert (out / "bad.html").read_bytes()
