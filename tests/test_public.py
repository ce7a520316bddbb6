"""The one public pipeline (imrgen.public.versions) and what it must get right: the same checks,
policy and names from `public` and `batch --public`; only free text redacted; titles that look like
street suffixes, possessives, initials and dates of birth in every form (issues 19 and 12)."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import CASES

import imrgen
from imrgen.batch import MANIFEST_NAME, run
from imrgen.case.loading import dump_case, load_case
from imrgen.cli import main
from imrgen.public.leaks import find_leaks
from imrgen.public.redaction import ADDRESS, RedactionPolicy, Redactor, default_policy, redact
from imrgen.public.versions import LeakError, public_name, public_version
from imrgen.writers import RenderOptions, get_writer

BASE = CASES / "full" / "full-02.yaml"
KEEP_EMPLOYEE = "name: keeps-names\nparties:\n  employee: {action: keep}\n"


@cache
def base_data() -> dict[str, Any]:
    return load_case(BASE).model_dump(mode="json")


def case_with(**changes: Any) -> imrgen.Case:
    """The base full case with some fields replaced: employee=..., summary=[...] ..."""
    data = json.loads(json.dumps(base_data()))
    for key, value in changes.items():
        if key in ("employee", "claims_administrator"):
            data["parties"][key] = {**(data["parties"].get(key) or {}), **value}
        else:
            data[key] = value
    return imrgen.Case.model_validate(data)


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def redactor(case: imrgen.Case) -> Redactor:
    return Redactor(case, default_policy())


# -- 1. one pipeline: the leak check, the policy and the names in public and batch alike ----


def test_batch_public_checks_every_file_and_writes_none_that_leaks(tmp_path: Path) -> None:
    policy = tmp_path / "keep.yaml"
    policy.write_text(KEEP_EMPLOYEE)
    out = tmp_path / "out"
    args = ["batch", str(BASE), "-f", "txt,html", "-o", str(out), "--public", "-q"]
    code = main([*args, "--policy", str(policy)])
    assert code == 1
    assert visible(out) == []  # no letter
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]  # and no pending file
    record = json.loads((out / MANIFEST_NAME).read_text().splitlines()[-1])
    assert record["status"] == "error"
    assert "public version refused (policy 'keeps-names')" in record["error"]
    assert "name from parties.employee.name" in record["error"]
    name = load_case(BASE).parties.employee.name  # type: ignore[union-attr]
    assert name and name not in record["error"]  # the finding is named, never the identifier


def test_public_and_batch_write_the_same_files_under_a_named_policy(tmp_path: Path) -> None:
    inputs = [str(BASE), str(CASES / "full" / "full-05.yaml")]
    by_public, by_batch = tmp_path / "public", tmp_path / "batch"
    fmts = "txt,md,docx"
    assert main(["public", *inputs, "-f", fmts, "-o", str(by_public), "--policy", "marker-only",
                 "-q"]) == 0  # fmt: skip
    assert main(["batch", *inputs, "-f", fmts, "-o", str(by_batch), "--public", "-j", "1",
                 "--policy", "marker-only", "-q"]) == 0  # fmt: skip
    public_files = sorted(p.name for p in by_public.iterdir())
    batch_files = visible(by_batch)
    assert public_files == batch_files and len(public_files) == 6
    for name in public_files:
        assert (by_public / name).read_bytes() == (by_batch / name).read_bytes()
    # and those bytes are the marker-only policy's, not the default's
    case = load_case(BASE)
    digest = hashlib.sha256(BASE.read_bytes()).hexdigest()
    marker_only = public_version(case, ["txt"], RedactionPolicy.named("marker-only"))
    assert (by_batch / public_name(case, "txt", digest)).read_bytes() == marker_only["txt"]
    assert marker_only["txt"] != public_version(case, ["txt"])["txt"]


def test_batch_policy_without_public_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["batch", str(BASE), "-o", str(tmp_path / "o"), "--policy", "default"]) != 0
    assert "add --public" in capsys.readouterr().err


def test_public_version_is_all_or_nothing_and_names_the_finding() -> None:
    case = load_case(BASE)
    keep = RedactionPolicy.from_text(KEEP_EMPLOYEE)
    with pytest.raises(LeakError) as caught:
        public_version(case, ["txt", "html"], keep, RenderOptions(), name="upload.yaml")
    message = str(caught.value)
    assert message.startswith("upload.yaml: public version refused (policy 'keeps-names')")
    assert {leak.file for leak in caught.value.leaks} == {"CM17-0012614.txt", "CM17-0012614.html"}
    assert case.parties and case.parties.employee and case.parties.employee.name
    assert case.parties.employee.name not in message
    files = public_version(case, ["txt", "html"])
    assert set(files) == {"txt", "html"}
    for fmt, data in files.items():
        assert find_leaks(data, f"x{get_writer(fmt).suffix}", case) == []


# -- 2. only free text is redacted: citations, the organization, the header are structure ---


def test_citations_and_the_organization_are_not_redacted() -> None:
    citation = "Forearm, Wrist, and Hand Complaints"
    data = json.loads(json.dumps(base_data()))
    data["parties"]["employee"]["name"] = "Dagny Hand"
    data["parties"]["claims_administrator"] = {"name": "Federal Insurance Company"}
    for basis in ("claims_administrator_basis", "reviewer_basis"):
        data["items"][0][basis]["mtus"][0]["part"] = citation
    data["summary"].append("Mrs. Hand was seen. Federal Insurance Company denied the request.")
    case = imrgen.Case.model_validate(data)
    public = redact(case)
    assert public.organization == case.organization  # "MAXIMUS Federal Services"
    assert public.header == case.header
    for item, original in zip(public.items, case.items, strict=True):
        assert item.claims_administrator_basis == original.claims_administrator_basis
        assert item.reviewer_basis == original.reviewer_basis
    assert (
        public.summary[-1]
        == "The injured worker was seen. The claims administrator denied the request."
    )
    # and the pipeline's leak check lets the structure through but not a person
    files = public_version(case, ["txt", "html", "docx"])
    assert citation.encode() in files["txt"] and b"MAXIMUS Federal Services" in files["txt"]
    leaky = files["txt"].replace(b"The injured worker was seen", b"Mrs. Hand was seen")
    assert [leak.field for leak in find_leaks(leaky, "x.txt", case)] == ["parties.employee.name"]


# -- 3. "Dr" before a name is a title, not a street suffix ----------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("12 Sessions Per Dr. Jones", None),
        ("6 visits with Dr Patel", None),
        ("3 Visits at St. Mary's", None),
        ("7077 Wistaria St.; the nurse", "7077 Wistaria St."),
        ("44 Oak Dr. Suite 4", "44 Oak Dr. Suite 4"),
        ("1 Elm Dr Fresno, CA 93701", "1 Elm Dr Fresno, CA 93701"),
        ("at 12 Main St", "12 Main St"),
    ],
)
def test_a_title_after_a_number_is_no_street(text: str, address: str | None) -> None:
    found = ADDRESS.search(text)
    assert (found.group(0) if found else None) == address


def test_a_request_per_a_doctor_keeps_its_words() -> None:
    case = load_case(BASE)
    assert redactor(case).text("12 Sessions Per Dr. Jones") == "12 Sessions Per Dr. Jones"


# -- 4. possessives, with and without an s ---------------------------------------------------


@pytest.mark.parametrize(
    ("written", "public"),
    [
        ("Ricketts' report was reviewed.", "The injured worker's report was reviewed."),
        ("Per Mr. Ricketts’ report.", "Per the injured worker's report."),
        ("Ricketts's report was reviewed.", "The injured worker's report was reviewed."),
        ("Noted in Jordan Ricketts' file.", "Noted in the injured worker's file."),
        ("The treating provider saw Ricketts.", "The treating provider saw the injured worker."),
    ],
)
def test_possessives(written: str, public: str) -> None:
    case = case_with(employee={"name": "Jordan Ricketts"})
    assert redactor(case).text(written) == public


# -- 5. dates of birth without a label: taken by the redactor, found by the scan ------------

BIRTH_FORMS = [
    "March 14 1968", "March 14, 1968", "Mar. 14th, 1968", "14 March 1968", "14th of March, 1968",
    "3/14/1968", "03-14-68", "1968-03-14",
]  # fmt: skip


@pytest.mark.parametrize("written", BIRTH_FORMS)
def test_a_date_of_birth_in_any_form_is_taken(written: str) -> None:
    case = case_with(employee={"date_of_birth": "1968-03-14"})
    text = f"The worker (born to a family of four; {written}) was hurt on 11/8/2016."
    public = redactor(case).text(text)
    assert public == "The worker (born to a family of four; [REDACTED]) was hurt on 11/8/2016."
    # the leak check finds the same date by itself in a file that kept it
    data = f"<p>{text}</p>".encode()
    assert [leak.kind for leak in find_leaks(data, "x.html", case)] == ["date-of-birth"]


def test_other_dates_stay() -> None:
    case = case_with(employee={"date_of_birth": "1968-03-14"})
    text = "Seen March 15, 1968; on 3/14/1969; and on 14 March 2016."
    assert redactor(case).text(text) == text


def test_the_scan_finds_a_labelled_date_of_birth_no_field_names() -> None:
    data = json.loads(json.dumps(base_data()))
    data["parties"]["employee"].pop("date_of_birth")
    case = imrgen.Case.model_validate(data)
    for written in ("DOB: July 4th, 1970", "date of birth 7/4/1970", "born on 4 July 1970"):
        leaks = find_leaks(f"The worker, {written}, was seen.".encode(), "x.txt", case)
        assert [(leak.kind, leak.field) for leak in leaks] == [("date-of-birth", "pattern")]
        assert "1970" not in str(leaks[0])


# -- 6. two inputs with one case number in a public batch ------------------------------------


def test_two_inputs_of_one_case_number_never_make_one_file(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    case = load_case(BASE)
    first.write_text(dump_case(case))
    other = case.model_copy(update={"summary": ["A different summary of the same case."]})
    second.write_text(dump_case(other))
    out = tmp_path / "out"
    summary = run([first, second], ["txt"], out, public=True, jobs=2)
    assert (summary.done, summary.failed) == (1, 1)
    error = summary.errors[0].error or ""
    assert "makes CM17-0012614.txt, as" in error and "(the same case number)" in error
    winner = first if summary.errors[0].path == str(second.resolve()) else second
    written = out / "CM17-0012614.txt"
    expected = public_version(load_case(winner), ["txt"])["txt"]
    assert written.read_bytes() == expected  # the file is the one input's that reported ok
    records = [json.loads(line) for line in (out / MANIFEST_NAME).read_text().splitlines()]
    ok = [r for r in records if r["status"] == "ok"]
    assert len(ok) == 1 and ok[0]["input"] == str(winner.resolve())
    assert ok[0]["outputs"]["txt"]["sha256"] == hashlib.sha256(expected).hexdigest()
    assert visible(out) == [written.name]
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]
    # a later run with the loser alone does not replace the winner's file either
    loser = second if winner == first else first
    again = run([loser], ["txt"], out, public=True, jobs=1)
    assert again.failed == 1 and written.read_bytes() == expected


# -- issue 12 point 10: an initial beside a redacted surname ---------------------------------


@pytest.mark.parametrize(
    ("written", "public"),
    [
        ("The applicant, RICKETTS, Q., DOB", "The applicant, the injured worker, DOB"),
        ("Seen: Ricketts, Q (claimant).", "Seen: the injured worker (claimant)."),
        ("Ricketts, Quentin M. was seen.", "The injured worker was seen."),
        ("Q. Ricketts was seen.", "The injured worker was seen."),
        ("Q.R. was seen.", "The injured worker was seen."),
        ("Quentin M. Ricketts was seen.", "The injured worker was seen."),
    ],
)  # fmt: skip
def test_an_initial_beside_the_surname_goes_with_it(written: str, public: str) -> None:
    case = case_with(employee={"name": "Quentin Ricketts"})
    assert redactor(case).text(written) == public


def test_the_leak_check_finds_a_left_initial() -> None:
    case = case_with(employee={"name": "Quentin Ricketts"})
    for text in ("The applicant, the injured worker, Q., date of birth", "Seen by Q.R. today"):
        leaks = find_leaks(text.encode(), "x.txt", case)
        assert [leak.field for leak in leaks] == ["parties.employee.name"], text
    for clean in ("The applicant, the injured worker, date of birth", "Per J. Smith, M.D."):
        assert find_leaks(clean.encode(), "x.txt", case) == []


def test_a_changed_policy_redoes_a_public_batch(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run([BASE], ["txt"], out, public=True, jobs=1, policy=default_policy())
    again = run([BASE], ["txt"], out, public=True, jobs=1, policy=default_policy())
    other = run(
        [BASE], ["txt"], out, public=True, jobs=1, policy=RedactionPolicy.named("marker-only")
    )
    assert (first.done, again.skipped, other.done) == (1, 1, 1)
    marker_only = public_version(load_case(BASE), ["txt"], RedactionPolicy.named("marker-only"))
    assert (out / "CM17-0012614.txt").read_bytes() == marker_only["txt"]


def test_public_version_reads_the_bytes_of_a_case_or_a_letter() -> None:
    from_case = public_version(load_case(BASE), ["txt"])
    assert public_version(BASE.read_bytes(), ["txt"], name="upload.yaml") == from_case
    letter = imrgen.render(load_case(BASE), "docx")
    parsed = imrgen.parse(BASE.with_suffix(".docx"), data=letter)
    assert public_version(letter, ["txt"], name="letter.docx") == public_version(parsed, ["txt"])
    with pytest.raises(imrgen.ImrgenError, match=r"upload\.odt"):
        public_version(b"x", ["txt"], name="upload.odt")


@pytest.mark.parametrize("fmt", ["pdf", "docx", "html", "txt", "md"])
def test_a_full_letter_is_refused_as_a_source(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A full letter's embedded case leaves out the parties and the readers do not read them
    # back from its cover, so neither the redactor nor the leak check would know the names.
    case = load_case(BASE)
    writer = get_writer(fmt)
    letter = writer.write(case, RenderOptions(letter="full"))
    name = f"sent{writer.suffix}"
    with pytest.raises(imrgen.ImrgenError, match="a full letter as sent to the parties"):
        public_version(letter, ["txt"], name=name)
    source = tmp_path / name
    source.write_bytes(letter)
    out = tmp_path / "out"
    assert main(["public", str(source), "-f", "txt,pdf", "-o", str(out)]) == 1
    assert "make the public version from the case file" in capsys.readouterr().err
    assert not out.exists() or visible(out) == []
    # A public body (what the state publishes) is still a source, and comes back the same.
    public = redact(case, default_policy())
    body = writer.write(public, RenderOptions())
    expected = get_writer("txt").write(public, RenderOptions())
    assert public_version(body, ["txt"], name=name)["txt"] == expected
