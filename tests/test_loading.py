"""Case files: every problem reported with its field path, line, what was expected and found."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLES

import imrgen
from imrgen.case.loading import dump_case, load_case

GOOD = """\
edition: 2015
header:
  case_number: CM16-0213037
  decision_date: 2016-12-09
  priority: standard
summary:
  - The injured worker is a 48 year old male.
items:
  - request: MRI of the right shoulder without contrast
    decision: upheld
    claims_administrator_basis:
      statement: no-evidence
    reviewer_basis:
      mtus:
        - part: Shoulder Complaints
          year: 2004
          sections: [Special Studies]
    rationale:
      - The request is not medically necessary.
"""


def _write(tmp_path: Path, text: str, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_case_loads(tmp_path: Path) -> None:
    case = load_case(_write(tmp_path, GOOD))
    assert case.header.case_number == "CM16-0213037"
    assert case.items[0].reviewer_basis.mtus[0].sections == ["Special Studies"]
    assert case.edition is imrgen.Edition.E2015


def test_every_problem_is_reported_with_path_line_expected_and_found(tmp_path: Path) -> None:
    bad = (
        GOOD.replace("decision: upheld", "decision: approved")
        .replace("CM16-0213037", "16-0213037")
        .replace("priority: standard", "priority: urgent")
        .replace("    rationale:\n      - The request is not medically necessary.\n", "")
    )
    with pytest.raises(imrgen.CaseError) as caught:
        load_case(_write(tmp_path, bad))
    problems = {p.location: p for p in caught.value.problems}
    assert set(problems) == {
        "items[0].decision",
        "header.case_number",
        "header.priority",
        "items[0].rationale",
    }
    decision = problems["items[0].decision"]
    assert "'upheld' or 'overturned'" in decision.message
    assert "got 'approved'" in decision.message
    assert decision.line == 10
    assert problems["items[0].rationale"].message == "required field is missing"
    assert "expected the state's form CMyy-nnnnnnn" in problems["header.case_number"].message
    assert "got '16-0213037'" in problems["header.case_number"].message
    text = str(caught.value)
    assert text.startswith(str(tmp_path / "case.yaml"))
    assert "items[0].decision (line 10): expected 'upheld' or 'overturned', got 'approved'" in text


def test_unknown_fields_are_named(tmp_path: Path) -> None:
    with pytest.raises(imrgen.CaseError) as caught:
        load_case(_write(tmp_path, GOOD.replace("  priority: standard", "  priorty: standard")))
    assert [p.location for p in caught.value.problems] == ["header.priorty"]
    assert caught.value.problems[0].message == "unknown field"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(imrgen.CaseError) as caught:
        load_case(_write(tmp_path, GOOD.replace("  priority: standard", "  priority: [standard")))
    problem = caught.value.problems[0]
    assert problem.location.startswith("line ")
    assert "not valid YAML" in problem.message


def test_json_case_and_json_syntax_error(tmp_path: Path) -> None:
    case = load_case(_write(tmp_path, GOOD))
    path = _write(tmp_path, dump_case(case, "json"), "case.json")
    assert load_case(path) == case
    broken = _write(tmp_path, '{"summary": ["x"],\n "items": [}', "broken.json")
    with pytest.raises(imrgen.CaseError) as caught:
        load_case(broken)
    assert caught.value.problems[0].location == "line 2"


@pytest.mark.parametrize("text", ["", "- a list\n", "just words\n"])
def test_a_document_that_is_not_a_mapping(tmp_path: Path, text: str) -> None:
    with pytest.raises(imrgen.CaseError) as caught:
        load_case(_write(tmp_path, text))
    assert "expected a mapping of case fields" in str(caught.value)


def test_missing_file_and_undecodable_file(tmp_path: Path) -> None:
    with pytest.raises(imrgen.CaseError, match="no such file"):
        load_case(tmp_path / "absent.yaml")
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"summary: [caf\xe9]\n")
    with pytest.raises(imrgen.CaseError, match="not UTF-8"):
        load_case(path)


def test_edition_rules_are_enforced(tmp_path: Path) -> None:
    text = GOOD + "reviewer:\n  specialty: Family Practice\n  subspecialty: Pain Medicine\n"
    with pytest.raises(imrgen.CaseError, match="2015 edition prints no subspecialty"):
        load_case(_write(tmp_path, text))


def test_text_is_normalized_and_addresses_keep_their_lines(tmp_path: Path) -> None:
    text = (
        GOOD.replace(
            "The injured worker is a 48 year old male.", '"The  injured\\tworker   is 48."'
        )
        + "parties:\n  employer:\n    address: |\n      1 Main St\n      Fresno, CA 93721\n"
    )
    case = load_case(_write(tmp_path, text))
    # A paragraph keeps its runs of plain spaces (a published letter's double space after a
    # full stop is what it says); any other white space is one space.
    assert case.summary == ["The  injured worker   is 48."]
    case.items[0].request = "MRI  of the\tright   shoulder"
    assert case.items[0].request == "MRI of the right shoulder"
    assert case.parties is not None and case.parties.employer is not None
    assert case.parties.employer.address == "1 Main St\nFresno, CA 93721"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_load_and_dump_back_to_the_same_case(path: Path) -> None:
    case = load_case(path)
    assert load_case(path.with_suffix(".again.yaml"), dump_case(case)) == case
    assert imrgen.Case.model_validate(json.loads(dump_case(case, "json"))) == case


def test_schema_describes_the_case() -> None:
    schema = imrgen.Case.model_json_schema()
    assert {"summary", "items"} <= set(schema["required"])
    assert "parties" in schema["properties"]


# --- what a new user hit (issue 12, 1-2) ---------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("date_of_injury", "2016-02-30", "day value is outside expected range"),
        ("date_of_injury", "2016-13-01", "month value is outside expected range"),
        ("decision_date", "2016-12-09 25:00:00", "hour value is outside expected range"),
    ],
)
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_an_impossible_date_is_a_problem_with_field_line_expected_and_found(
    tmp_path: Path, field: str, value: str, reason: str, suffix: str
) -> None:
    text = GOOD.replace("  decision_date: 2016-12-09\n", f"  {field}: {value}\n")
    if field != "decision_date":
        text = text.replace("  priority:", "  decision_date: 2016-12-09\n  priority:")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith(f"  {field}:"))
    if suffix == ".json":
        data = yaml.safe_load(text.replace(value, "PLACEHOLDER"))
        data["header"][field] = value
        text = json.dumps(data, indent=2, default=str)
        line = next(n for n, t in enumerate(text.splitlines(), 1) if f'"{field}"' in t)
    with pytest.raises(imrgen.CaseError) as caught:
        load_case(_write(tmp_path, text, f"case{suffix}"))
    [problem] = caught.value.problems
    assert problem.location == f"header.{field}"
    assert problem.line == line
    assert problem.message.startswith("expected a date that exists, as YYYY-MM-DD")
    assert f"got '{value}'" in problem.message and reason in problem.message


def test_a_yaml_null_reads_as_null(tmp_path: Path) -> None:
    text = GOOD.replace("request: MRI of the right shoulder without contrast", "request: null")
    with pytest.raises(imrgen.CaseError) as caught:
        load_case(_write(tmp_path, text))
    [problem] = caught.value.problems
    assert (problem.location, problem.line) == ("items[0].request", 9)
    assert problem.message == "expected text, got null"
    assert "None" not in str(caught.value)


def test_a_blank_text_is_refused_not_kept_empty(tmp_path: Path) -> None:
    text = GOOD.replace("The injured worker is a 48 year old male.", '"   "')
    with pytest.raises(imrgen.CaseError) as caught:
        load_case(_write(tmp_path, text))
    [problem] = caught.value.problems
    assert problem.location == "summary[0]"
    assert "expected text, got only white space" in problem.message


DEEP = 100_000


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" * DEEP + "]" * DEEP),
        ("deep-object.json", '{"a":' * DEEP + "1" + "}" * DEEP),
        ("deep.yaml", "[" * DEEP + "]" * DEEP),
        ("deep-block.yaml", "".join("  " * i + "-\n" for i in range(2_000))),
        ("deep-mapping.yaml", "{a: " * DEEP + "1" + "}" * DEEP),
    ],
)
def test_deep_nesting_is_one_problem_in_bounded_memory(
    tmp_path: Path, name: str, text: str
) -> None:
    path = _write(tmp_path, text, name)
    tracemalloc.start()
    try:
        with pytest.raises(imrgen.CaseError) as caught:
            load_case(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(caught.value.problems) == 1
    assert str(caught.value).startswith(f"{path}: 1 problem(s)")
    assert "nest" in str(caught.value) or "expected a mapping" in str(caught.value)
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MiB"


def test_a_folder_or_an_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(imrgen.CaseError, match="expected a case file, got a folder"):
        load_case(tmp_path)


def test_a_json_case_reports_lines_too(tmp_path: Path) -> None:
    data = yaml.safe_load(GOOD)
    data["items"][0]["decision"] = "approved"
    path = _write(tmp_path, json.dumps(data, indent=2, default=str), "case.json")
    with pytest.raises(imrgen.CaseError) as caught:
        load_case(path)
    line = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if '"decision"' in t)
    assert [(p.location, p.line) for p in caught.value.problems] == [("items[0].decision", line)]


@pytest.mark.parametrize("fmt", ["txt", "md", "docx", "html"])
def test_an_address_drops_what_xml_cannot_hold_like_any_text(tmp_path: Path, fmt: str) -> None:
    """A control character in an address is filtered as in every other text field (issue 19,
    14): the full letter renders in every format instead of ending in lxml's ValueError."""
    data = yaml.safe_load((EXAMPLES / "draft-full-letter.yaml").read_text(encoding="utf-8"))
    employer = data["parties"]["employer"]
    employer["address"] = "12 Main\x01 St\x0b\n\nFresno,\x1f CA \ufffe93721\n"
    path = _write(tmp_path, yaml.safe_dump(data, allow_unicode=True), "full.yaml")
    case = load_case(path)
    assert case.parties is not None and case.parties.employer is not None
    assert case.parties.employer.address == "12 Main St\nFresno, CA 93721"
    options = imrgen.RenderOptions(letter="full")
    assert imrgen.render(case, fmt, options)
    data["parties"]["employer"]["address"] = " \x01 \n \x02"
    with pytest.raises(imrgen.CaseError, match=r"parties\.employer\.address"):
        load_case(_write(tmp_path, yaml.safe_dump(data, allow_unicode=True), "blank.yaml"))
