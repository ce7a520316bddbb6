"""Public versions: redaction of full cases built from the real letters, the leak check on every
format, and the `public` / `check-public` commands."""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
import yaml
from conftest import CASES, REAL_LETTERS, SHARED
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import imrgen
from imrgen.case.loading import load_case
from imrgen.case.model import Employee, Parties
from imrgen.cli import main
from imrgen.public.leaks import find_leaks
from imrgen.public.redaction import (
    PolicyError,
    RedactionPolicy,
    case_texts,
    default_policy,
    needs_context,
    redact,
)
from imrgen.writers import RenderOptions, get_writer

FULL = CASES / "full"
MANIFEST: dict[str, dict[str, Any]] = yaml.safe_load((FULL / "manifest.yaml").read_text())
FULL_CASES = sorted(MANIFEST)
LEGAL_SUFFIXES = {"inc", "llc", "llp", "esq", "m.d", "md", "do", "dc"}


@cache
def full_case(name: str) -> imrgen.Case:
    return load_case(FULL / name)


def employee_of(name: str) -> Employee:
    parties = full_case(name).parties
    assert parties is not None and parties.employee is not None
    return parties.employee


@cache
def public_case(name: str) -> imrgen.Case:
    return redact(full_case(name))


# -- an independent scan: plain substring search in the text each output carries ------------


def carried_text(data: bytes) -> str:
    """All the text a file carries, extracted without imrgen.public.leaks: PDF objects via pikepdf
    plus page text via PDFium; every part of a zip; html/md/txt with markup and escapes undone."""
    if data.startswith(b"%PDF"):
        chunks: list[str] = []
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Stream):
                    try:
                        chunks.append(obj.read_bytes().decode("latin-1"))
                    except pikepdf.PdfError:
                        chunks.append(obj.read_raw_bytes().decode("latin-1"))
                elif isinstance(obj, pikepdf.Dictionary | pikepdf.Array):
                    chunks.append(_pdf_object_strings(obj))
            chunks.extend(str(v) for v in pdf.docinfo.values())
            for name, spec in pdf.attachments.items():
                chunks.append(name)
                chunks.append(spec.get_file().read_bytes().decode("utf-8", "replace"))
        document = pdfium.PdfDocument(data)
        for page in document:
            chunks.append(page.get_textpage().get_text_range())
        document.close()
        return _unescape("\n".join(chunks))
    if data.startswith(b"PK\x03\x04"):
        chunks = []
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                text = archive.read(name).decode("utf-8", "replace")
                chunks += [name, text, re.sub(r"<[^>]+>", "", text), re.sub(r"<[^>]+>", " ", text)]
        return _unescape("\n".join(chunks))
    text = data.decode("utf-8")
    return _unescape("\n".join([text, re.sub(r"<[^>]+>", " ", text)]))


def _pdf_object_strings(obj: Any) -> str:
    out: list[str] = []
    values = obj.values() if isinstance(obj, pikepdf.Dictionary) else list(obj)
    for value in values:
        if isinstance(value, pikepdf.String):
            out.append(str(value))
    return "\n".join(out)


def _unescape(text: str) -> str:
    text = html.unescape(text)
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    text = re.sub(r"\\(.)", r"\1", text)
    text = text.replace("\u00ad", "")
    return re.sub(r"(?<=[A-Za-z])-\s+(?=[a-z])", "", text)


def independent_scan(data: bytes, planted: dict[str, list[str]]) -> list[str]:
    text = carried_text(data)
    lower = text.lower()
    digits = re.sub(r"\D", "", text)
    found = []
    for name in planted["names"]:
        for token in re.findall(r"[A-Za-z]+", name):
            if len(token) > 2 and token.lower() not in LEGAL_SUFFIXES and token.lower() in lower:
                found.append(f"name token {token[:2]}…")
    for phone in planted["phones"]:
        if phone in digits:
            found.append(f"phone …{phone[-2:]}")
    for value in planted["emails"] + planted["claim_numbers"] + planted["streets"]:
        if value.lower() in lower:
            found.append(f"identifier {value[:2]}…")
    for ssn in planted["ssns"]:
        if re.sub(r"\D", "", ssn) in digits:
            found.append("ssn")
    return found


# -- the full cases ------------------------------------------------------------------------


def test_at_least_thirty_full_cases_from_real_letters() -> None:
    assert len(FULL_CASES) >= 30
    seeds = {MANIFEST[name]["seed"] for name in FULL_CASES}
    assert len(seeds) == len(FULL_CASES)
    for name in FULL_CASES:
        assert (SHARED / MANIFEST[name]["seed"]).is_file()
        case = full_case(name)
        assert case.parties is not None and case.parties.employee is not None
        text = " ".join(t for _, t in case_texts(case))
        assert "[REDACTED]" not in text  # every marker of the real letter became a name
        surname = (employee_of(name).name or "").split()[-1].split("-")[0]
        assert surname.lower() in text.lower()  # the identifiers are really in the text


def test_the_full_cases_carry_their_identifiers_before_redaction() -> None:
    """The scans can find what they look for: every full case, rendered unredacted, leaks."""
    for name in FULL_CASES:
        data = get_writer("txt").write(full_case(name), RenderOptions())
        assert find_leaks(data, "full.txt", full_case(name))
        assert independent_scan(data, MANIFEST[name])


@pytest.mark.parametrize("fmt", imrgen.formats())
def test_public_versions_leak_nothing_in_any_format(fmt: str) -> None:
    writer = get_writer(fmt)
    findings: list[str] = []
    for name in FULL_CASES:
        public = public_case(name)
        assert public.parties is None
        data = writer.write(public, RenderOptions())
        filename = f"{public.stem}{writer.suffix}"
        findings += [f"{name}: {leak}" for leak in find_leaks(data, filename, full_case(name))]
        findings += [f"{name}: {hit}" for hit in independent_scan(data, MANIFEST[name])]
    assert findings == []


WORD = re.compile(r"[a-z0-9]+(?:['’./-][a-z0-9]+)*")


def _words(texts: list[str]) -> Counter[str]:
    return Counter(WORD.findall(" ".join(texts).lower()))


def clinical_words_kept() -> tuple[int, int, list[tuple[str, float]]]:
    """Words of the real letter's summary and rationales (its own markers left out), and how many
    of them the public version keeps."""
    policy = default_policy()
    phrase_words = _words(
        [r.phrase or "" for r in policy.parties.__dict__.values()] + [policy.marker]
    )
    total = kept = 0
    per_case = []
    for name in FULL_CASES:
        seed = imrgen.parse(SHARED / MANIFEST[name]["seed"])
        original = seed.summary + [p for item in seed.items for p in item.rationale]
        public = public_case(name)
        result = public.summary + [p for item in public.items for p in item.rationale]
        clinical = _words([re.sub(r"\[REDACTED\]", " ", t) for t in original])
        clinical = Counter({w: n for w, n in clinical.items() if w not in phrase_words})
        present = _words(result)
        case_kept = sum(min(n, present[w]) for w, n in clinical.items())
        case_total = sum(clinical.values())
        per_case.append((name, case_kept / case_total))
        total += case_total
        kept += case_kept
    return kept, total, per_case


TITLES = {"dr", "mr", "mrs", "ms", "m.d", "md", "do", "dc", "esq", "tel"}


def identifier_words(case: imrgen.Case, planted: dict[str, list[str]]) -> set[str]:
    """The words that make up an identifier of the case, by what the generator planted and
    what the party fields hold (not by what the redactor detects)."""
    parts = case.parties
    assert parts is not None and parts.employee is not None
    values = [*planted["names"], *planted["emails"], *planted["streets"]]
    values += [parts.employee.address or "", parts.employee.email or ""]
    values += [
        getattr(getattr(parts, role), "address", None) or ""
        for role in ("employer", "requesting_provider")
    ]
    dob = parts.employee.date_of_birth
    assert dob is not None
    values += [dob.strftime("%B"), str(dob.year), f"{dob.month}/{dob.day}/{dob.year}"]
    words = set(_words(values)) - {"the"}
    numbers = "|".join(planted["phones"] + [re.sub(r"\D", "", v) for v in planted["ssns"]])
    numbers += "|" + "|".join(re.sub(r"\W", "", v).lower() for v in planted["claim_numbers"])
    numbers += f"|{dob.month:02d}{dob.day:02d}{dob.year}|{dob.month}{dob.day}{dob.year}"
    numbers += f"|{dob.year}{dob.month:02d}{dob.day:02d}"
    return words | {numbers}


def full_text_words_kept() -> tuple[int, int, Counter[str]]:
    """Every word of the full case's summary and rationales that is not part of an identifier
    (the sentences woven around the identifiers included), and how many the public keeps."""
    total = kept = 0
    lost: Counter[str] = Counter()
    for name in FULL_CASES:
        case = full_case(name)
        ids = identifier_words(case, MANIFEST[name])
        numbers = next(w for w in ids if "|" in w).split("|")

        def clinical(word: str, ids: set[str] = ids, numbers: list[str] = numbers) -> bool:
            word = re.sub(r"['’]s$", "", word)
            squeezed = re.sub(r"\W", "", word)
            if (
                word in ids
                or word in TITLES
                or (
                    any(c.isdigit() for c in word)
                    and any(squeezed and squeezed in n for n in numbers)
                )
            ):
                return False
            if re.fullmatch(r"[a-z](?:\.[a-z])*", word):  # an initial
                return False
            if any(squeezed and squeezed in i for i in ids if len(squeezed) >= 3):  # "Jorg- ensen"
                return False
            if "-" in word and all(part in ids for part in word.split("-")):
                return False
            return not re.fullmatch(r"\d{1,3}|ext|x|\d{3,4}-\d{4}|\+?1", word)

        original = case.summary + [p for item in case.items for p in item.rationale]
        public = public_case(name)
        result = public.summary + [p for item in public.items for p in item.rationale]
        words = Counter({w: n for w, n in _words(original).items() if clinical(w)})
        present = _words(result)
        total += sum(words.values())
        kept += sum(min(n, present[w]) for w, n in words.items())
        lost.update({w: n - present[w] for w, n in words.items() if present[w] < n})
    return kept, total, lost


def test_clinical_words_are_kept() -> None:
    kept, total, per_case = clinical_words_kept()
    print(f"clinical words kept: {kept}/{total} = {kept / total:.4f}")
    assert kept / total >= 0.98
    assert min(share for _, share in per_case) >= 0.98, per_case
    kept, total, lost = full_text_words_kept()
    print(f"words of the full cases that are not identifiers, kept: {kept}/{total}")
    assert kept / total >= 0.98, lost.most_common(20)


def test_redaction_is_stable_and_idempotent() -> None:
    """The same case gives the same public case (so the same bytes), and a public case has
    nothing left to take out."""
    for name in FULL_CASES[:8]:
        once = redact(full_case(name))
        assert once == redact(full_case(name))
        assert redact(once) == once
        html = get_writer("html").write(once, RenderOptions())
        assert html == get_writer("html").write(redact(full_case(name)), RenderOptions())


def test_real_letters_lose_nothing(parsed_letters: dict[Path, imrgen.Case]) -> None:
    """The published letters hold no identifier any more: redacting them changes no text."""
    for path, case in parsed_letters.items():
        public = redact(case)
        assert dict(case_texts(public)) == dict(case_texts(case)), path.name


# -- forms of names and identifiers --------------------------------------------------------

PARTIES = Parties.model_validate(
    {
        "employee": {
            "name": "Marisol T. Quintanilla-Okafor",
            "address": "4821 Larkspur Hollow Road, Apt 12\nFresno, CA 93721",
            "date_of_birth": "1968-03-14",
            "claim_number": "WC-2016-0048213",
            "phone": "(559) 482-1937",
            "email": "mquintanilla@examplemail.com",
        },
        "employer": {"name": "Brightwater Quarry Holdings, Inc.", "address": "77 Ferncliff Ave"},
        "claims_administrator": {"name": "Tidewell Adjusting LLC", "phone": "800-555-0199"},
        "requesting_provider": {"name": "Alan J. Brookhaven, MD", "phone": "559.301.7788"},
        "attorney": {"name": "Priya Venkataraman", "firm": "Venkataraman & Lusk LLP"},
        "other_providers": [{"name": "Dmitri de la Fuente"}],
        "reviewer": {"name": "Harriet Oyelaran-Whitcombe"},
    }
)


def _one(summary: str, policy: RedactionPolicy | None = None) -> str:
    case = imrgen.parse(sorted((SHARED / "seeds").glob("*.txt"))[0])
    case.parties = PARTIES
    case.summary = [summary]
    return redact(case, policy).summary[0]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Seen by Marisol Quintanilla-Okafor today.", "Seen by the injured worker today."),
        ("Seen by Marisol T. Quintanilla-Okafor today.", "Seen by the injured worker today."),
        ("Seen by Ms. Quintanilla-Okafor today.", "Seen by the injured worker today."),
        ("Seen by Mrs Okafor today.", "Seen by the injured worker today."),
        ("Seen by QUINTANILLA today.", "Seen by the injured worker today."),
        ("Seen by quintanilla-okafor today.", "Seen by the injured worker today."),
        ("Seen by marisol today.", "Seen by the injured worker today."),
        ("Marisol's pain is 8/10.", "The injured worker's pain is 8/10."),
        ("Per Quintanilla-Okafor, Marisol T. today.", "Per the injured worker today."),
        ("Per M. Quintanilla-Okafor today.", "Per the injured worker today."),
        ("Per M.T. Quintanilla-Okafor today.", "Per the injured worker today."),
        ("Per Marisol   Quintanilla-\nOkafor today.", "Per the injured worker today."),
        ("Per Quintan- illa today.", "Per the injured worker today."),
        ("Per Quintan\u00adilla today.", "Per the injured worker today."),
        ("Per Dr. Brookhaven today.", "Per the treating provider today."),
        ("Per Dr Brookhaven's note.", "Per the treating provider's note."),
        ("Per Alan J. Brookhaven, M.D. today.", "Per the treating provider today."),
        ("Per A.J. Brookhaven today.", "Per the treating provider today."),
        ("Per J. Brookhaven today.", "Per the treating provider today."),
        ("Per DR. BROOKHAVEN today.", "Per the treating provider today."),
        ("Per Dr. de la Fuente today.", "Per another provider today."),
        ("Per Fuente today.", "Per another provider today."),
        ("Reviewed by Dr. Oyelaran-Whitcombe.", "Reviewed by the expert reviewer."),
        ("Reviewed by Whitcombe.", "Reviewed by the expert reviewer."),
        (
            "Counsel Priya Venkataraman of Venkataraman & Lusk LLP wrote.",
            "Counsel the attorney of the attorney's firm wrote.",
        ),
        ("Brightwater Quarry Holdings, Inc. fired her.", "The employer fired her."),
        ("Brightwater fired her.", "The employer fired her."),
        ("Tidewell Adjusting denied it.", "The claims administrator denied it."),
        ("DOB: 03/14/1968.", "DOB: [REDACTED]."),
        ("Born March 14, 1968 in Fresno.", "Born [REDACTED] in Fresno."),
        ("Date of birth 3/14/68.", "Date of birth [REDACTED]."),
        ("Seen 3-14-1968.", "Seen [REDACTED]."),
        ("SSN 123-45-6789.", "SSN [REDACTED]."),
        ("Social security number: 123456789.", "Social security number: [REDACTED]."),
        ("Call 559-482-1937 now.", "Call [REDACTED] now."),
        ("Call 5594821937 now.", "Call [REDACTED] now."),
        ("Call +1 (559) 482 1937 now.", "Call [REDACTED] now."),
        ("Call (415) 555-2671 ext. 12 now.", "Call [REDACTED] now."),
        ("Fax 415.555.2671 now.", "Fax [REDACTED] now."),
        ("Mail MQuintanilla@ExampleMail.com now.", "Mail [REDACTED] now."),
        ("Mail j.doe+imr@clinic.example.org now.", "Mail [REDACTED] now."),
        ("Claim #WC-2016-0048213 open.", "Claim #[REDACTED] open."),
        ("Claim number 05A1234567 open.", "Claim number [REDACTED] open."),
        ("File 2016-00482139 open.", "File [REDACTED] open."),
        ("Lives at 4821 Larkspur Hollow Road, Apt 12, Fresno, CA 93721.", "Lives at [REDACTED]."),
        ("Lives at 4821 larkspur hollow road.", "Lives at [REDACTED]."),
        ("Office at 1200 Oak Street, Suite 300, Visalia, CA 93291.", "Office at [REDACTED]."),
        ("Send to P.O. Box 4410, Modesto, CA 95354.", "Send to [REDACTED]."),
    ],
)
def test_every_written_form_is_redacted(written: str, expected: str) -> None:
    assert _one(written) == expected


@pytest.mark.parametrize(
    "clinical",
    [
        "Date of injury 07/25/2001; seen 01/06/2014 and 10-28-2016.",
        "Norco 10/325mg #60, Cyclobenzaprine 7.5 mg, TENS unit 4-lead, 8/10 pain.",
        "MRI of the L4-5 and C5-6 levels; CPT 97110 x 12 sessions; ICD-10 M54.5.",
        "Case CM16-0213037 per ODG and ACOEM 2nd Edition, 2004, Chapter 12, pages 303-305.",
        "A 45-year-old female, 5 feet 4 inches, 180 lbs, walked 200 feet with a cane.",
        "The patient will return in 2 weeks; the mark on the knee is healing.",
        "Dr. No. 3 reviewed the records on 12/20/2013 (3 visits, 2 times per week).",
        "Urine drug screen 02/02/2017 was consistent; Lyrica 75 mg twice daily.",
    ],
)
def test_clinical_content_stays(clinical: str) -> None:
    assert _one(clinical) == clinical


def test_marker_only_policy_and_removal() -> None:
    policy = RedactionPolicy.named("marker-only")
    assert policy.name == "marker-only"
    text = _one(
        "Dr. Brookhaven saw Marisol at 4821 Larkspur Hollow Road; Whitcombe agreed.", policy
    )
    assert text == "[REDACTED] saw [REDACTED] at; agreed."


def test_a_policy_may_keep_names_and_the_check_refuses_it(tmp_path: Path) -> None:
    keep = tmp_path / "keep.yaml"
    keep.write_text("name: keeps-names\nparties:\n  employee: {action: keep}\n")
    policy = RedactionPolicy.from_yaml(keep)
    text = _one("Marisol Quintanilla-Okafor called 559-482-1937.", policy)
    assert text == "Marisol Quintanilla-Okafor called [REDACTED]."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("parties:\n  employee: {action: phrase}\n", "parties.employee: Value error, action"),
        ("parties:\n  employe: {action: redact}\n", "parties.employe: Extra inputs"),
        ("identifiers:\n  phone: {action: hide}\n", "identifiers.phone.action: Input should be"),
        ("- a list\n", "expected a mapping of policy fields"),
        ("parties: [\n", "not valid YAML"),
    ],
)
def test_bad_policy_names_file_and_field(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(content)
    with pytest.raises(PolicyError) as caught:
        RedactionPolicy.from_yaml(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_default_policy_is_the_state_practice() -> None:
    policy = default_policy()
    defaults = RedactionPolicy()  # the shipped file says what the code defaults say
    assert (policy.marker, policy.parties, policy.identifiers) == (
        defaults.marker,
        defaults.parties,
        defaults.identifiers,
    )
    assert policy.parties.requesting_provider.phrase == "the treating provider"
    assert policy.identifiers.ssn.action == "redact"


# -- generated names, generated placements -------------------------------------------------

NAME = st.from_regex(r"[A-Z][a-z]{3,9}", fullmatch=True)
PLACES = st.sampled_from(["summary-start", "summary-end", "rationale", "request"])


@st.composite
def placement(draw: st.DrawFn) -> tuple[str, str, str, str]:
    first, surname, provider = draw(NAME), draw(NAME), draw(NAME)
    forms = [
        f"{first} {surname}", f"Mr. {surname}", f"{surname}'s", surname.upper(), surname.lower(),
        f"{first[0]}. {surname}", f"{surname}, {first}", f"{first}\n{surname}", first,
        f"{surname[:2]}-\n{surname[2:]}", f"{surname[:3]}\u00ad{surname[3:]}", f"Dr. {provider}",
        f"Dr {provider}'s", provider.upper(),
    ]  # fmt: skip
    return first, surname, provider, draw(st.sampled_from(forms))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(placement(), PLACES, st.sampled_from(FULL_CASES[:6]))
def test_generated_names_in_any_place_never_leak(
    drawn: tuple[str, str, str, str], place: str, base_name: str
) -> None:
    first, surname, provider, form = drawn
    tokens = {first.lower(), surname.lower(), provider.lower()}
    assume(len(tokens) == 3)
    base = public_case(base_name)
    base_text = get_writer("html").write(base, RenderOptions()).decode().lower()
    assume(not any(t in base_text or t in {"the", "worker"} for t in tokens))
    case = base.model_copy(deep=True)
    case.parties = Parties.model_validate(
        {
            "employee": {"name": f"{first} {surname}"},
            "requesting_provider": {"name": f"Kim {provider}, MD"},
        }
    )
    sentence = f"Seen with {form} on 01/06/2014."
    if place == "summary-start":
        case.summary[0] = f"{sentence} {case.summary[0]}"
    elif place == "summary-end":
        case.summary[-1] = f"{case.summary[-1]} {sentence}"
    elif place == "rationale":
        case.items[0].rationale[0] = f"{case.items[0].rationale[0]} {sentence}"
    else:
        case.items[0].request = f"{case.items[0].request} per {form} on 01/06/2014"
    case = imrgen.Case.model_validate(case.model_dump())
    public = redact(case)
    for fmt in ("html", "txt", "md"):
        data = get_writer(fmt).write(public, RenderOptions())
        assert find_leaks(data, f"x.{fmt}", case) == []
        text = _unescape(data.decode()).lower()
        assert not [t for t in tokens if t in text]
    assert "01/06/2014" in " ".join(t for _, t in case_texts(public))


# -- common names, which are also parts of everyday words -----------------------------------

COMMON_FIRST = (
    "Maria John Jose Michael Linda David Jennifer Robert Patricia James Mary Daniel Susan Carlos"
    " Ana Luis Rosa Kevin Nancy Brian Karen Steven Lisa Jason Angela Eric Laura Juan Elena"
).split()
COMMON_SURNAMES = (
    "Garcia Smith Johnson Nguyen Patel Kim Rodriguez Williams Martinez Hernandez Lopez Wilson"
    " Anderson Taylor Thomas Moore Jackson Martin Lee Perez Thompson Harris Sanchez Clark Ramirez"
    " Lewis Robinson Walker Young Allen King Wright Scott Torres Hill Flores Green Adams Nelson"
).split()
COMMON_ORGS = (
    "Acme Sunrise Pacific Golden Valley Central Coastal Premier Summit Western Allied Mission"
    " Sierra Redwood Harbor Cascade Liberty Pioneer Evergreen Horizon Crestview Meridian"
).split()


@cache
def common_name_cases() -> list[tuple[imrgen.Case, dict[str, list[str]]]]:
    """Cases no file here holds: the same weaving with the commonest US names ("Lee", "Kim",
    "Patel", "Green", "King"), built afresh from other real letters."""
    import random

    from make_full_cases import build

    rng = random.Random(7)
    seeds = set(MANIFEST[name]["seed"] for name in FULL_CASES)
    letters = [p for p in REAL_LETTERS if str(p.relative_to(SHARED)) not in seeds]
    return [
        build(letter, rng, COMMON_FIRST, COMMON_SURNAMES, COMMON_ORGS)
        for letter in rng.sample(letters, 12)
    ]


def word_scan(data: bytes, case: imrgen.Case, planted: dict[str, list[str]]) -> list[str]:
    """Like independent_scan, but by whole words: "Lee" must not be found in "sleep"."""
    text = carried_text(data)
    found = []
    for name in planted["names"]:
        for token in re.findall(r"[A-Za-z]+", name):
            if len(token) < 3 or token.lower() in LEGAL_SUFFIXES | set(COMMON_ORGS_GENERIC):
                continue
            # a name part that is also an everyday word is a name only with a capital
            flags = 0 if needs_context(token) else re.I
            if re.search(rf"(?<![A-Za-z]){re.escape(token)}(?![A-Za-z])", text, flags):
                found.append(f"name token {token[:2]}…")
    digits = re.sub(r"\D", "", text)
    found += [f"phone …{p[-2:]}" for p in planted["phones"] if p in digits]
    lower = text.lower()
    found += [v[:2] for v in planted["emails"] + planted["claim_numbers"] if v.lower() in lower]
    return found


# Organization words that the real letters print on their own ("Central", "Valley" ...).
COMMON_ORGS_GENERIC = ["pacific", "golden", "valley", "central", "western", "summit"]


@pytest.mark.parametrize("fmt", imrgen.formats())
def test_common_names_never_leak(fmt: str) -> None:
    writer = get_writer(fmt)
    findings: list[str] = []
    for case, planted in common_name_cases():
        public = redact(case)
        data = writer.write(public, RenderOptions())
        findings += [str(leak) for leak in find_leaks(data, f"{public.stem}{writer.suffix}", case)]
        findings += word_scan(data, case, planted)
    assert findings == []


# -- the commands --------------------------------------------------------------------------


def test_public_writes_every_format_and_check_public_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = FULL_CASES[0]
    out = tmp_path / "out"
    fmts = ",".join(imrgen.formats())
    assert main(["public", str(FULL / name), "-f", fmts, "-o", str(out)]) == 0
    stem = full_case(name).header.case_number or "letter"
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(f"{stem}{get_writer(f).suffix}" for f in imrgen.formats())
    for path in out.iterdir():
        assert independent_scan(path.read_bytes(), MANIFEST[name]) == []
    capsys.readouterr()
    files = [str(p) for p in sorted(out.iterdir())]
    assert main(["check-public", *files, "--source", str(FULL / name)]) == 0
    assert "no identifier" in capsys.readouterr().out


def test_public_refuses_a_file_that_fails_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = FULL_CASES[1]
    employee = employee_of(name).name
    keep = tmp_path / "keep.yaml"
    keep.write_text("name: keeps-names\nparties:\n  employee: {action: keep}\n")
    out = tmp_path / "out"
    code = main(
        ["public", str(FULL / name), "-f", "txt,html", "-o", str(out), "--policy", str(keep)]
    )
    assert code == 1
    assert not out.exists() or list(out.iterdir()) == []
    err = capsys.readouterr().err
    assert "name from parties.employee.name" in err
    assert "not written" in err and "keeps-names" in err
    assert employee and employee not in err  # the finding is named, the identifier is not


def test_check_public_finds_the_unredacted_letter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = FULL_CASES[2]
    path = tmp_path / "draft.md"
    path.write_bytes(get_writer("md").write(full_case(name), RenderOptions()))
    assert main(["check-public", str(path), "--source", str(FULL / name)]) == 1
    err = capsys.readouterr().err
    for kind in ("name", "phone", "email", "claim-number", "address", "date-of-birth", "ssn"):
        assert f": {kind} from " in err
    assert "draft.md: text: " in err
    email = employee_of(name).email
    assert email and email not in err


def test_file_names_carry_no_identifier(tmp_path: Path) -> None:
    name = FULL_CASES[3]
    case = full_case(name).model_copy(deep=True)
    case.header.case_number = None
    surname = (employee_of(name).name or "").split()[-1]
    leaky = tmp_path / f"{surname}-draft.yaml"
    leaky.write_text(imrgen.dump_case(case))
    clean = tmp_path / "draft-07.yaml"
    clean.write_text(imrgen.dump_case(case) + "# another draft\n")
    out = tmp_path / "out"
    assert main(["public", str(leaky), str(clean), "-f", "txt", "-o", str(out), "-q"]) == 0
    # no case number: "letter-" and the start of the input's sha256, whatever the input's name
    expected = [
        f"letter-{hashlib.sha256(p.read_bytes()).hexdigest()[:12]}.txt" for p in (leaky, clean)
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)


# -- leaks planted where a reader does not look --------------------------------------------


def _identifiers(name: str) -> tuple[str, str, bytes]:
    employee = employee_of(name)
    full_json = json.dumps(full_case(name).model_dump(mode="json")).encode()
    return employee.name or "", employee.email or "", full_json


def _check(tmp_path: Path, filename: str, data: bytes, name: str) -> str:
    path = tmp_path / filename
    path.write_bytes(data)
    assert main(["check-public", str(path), "--source", str(FULL / name)]) == 1
    return path.name


def test_check_public_finds_a_name_in_pdf_metadata_and_attachment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = FULL_CASES[4]
    person, email, full_json = _identifiers(name)
    pdf = pikepdf.new()
    pdf.add_blank_page()
    with pdf.open_metadata() as meta:
        meta["dc:title"] = "Final determination"
    buffer = io.BytesIO()
    pdf.save(buffer)
    clean = buffer.getvalue()
    # the same file with the name in its document info, then with the full case attached
    pdf.docinfo["/Author"] = person
    buffer = io.BytesIO()
    pdf.save(buffer)
    _check(tmp_path, "info.pdf", buffer.getvalue(), name)
    assert (
        "info.pdf: document info /Author: name from parties.employee.name"
        in capsys.readouterr().err
    )
    del pdf.docinfo["/Author"]
    with pdf.open_metadata() as meta:
        meta["dc:creator"] = [email]
    buffer = io.BytesIO()
    pdf.save(buffer)
    _check(tmp_path, "xmp.pdf", buffer.getvalue(), name)
    assert "xmp.pdf: XMP metadata (stream at byte " in capsys.readouterr().err
    pdf2 = pikepdf.open(io.BytesIO(clean))
    pdf2.attachments["imrgen-case.json"] = pikepdf.AttachedFileSpec(
        pdf2,
        full_json,
        description="",
        filename="imrgen-case.json",
        mime_type="application/json",
        creation_date="",
        mod_date="",
    )
    buffer = io.BytesIO()
    pdf2.save(buffer)
    _check(tmp_path, "attached.pdf", buffer.getvalue(), name)
    err = capsys.readouterr().err
    assert "attached.pdf: attachment 'imrgen-case.json': name from" in err
    assert find_leaks(clean, "clean.pdf", full_case(name)) == []


def test_check_public_finds_a_name_in_docx_core_and_custom_parts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import docx

    name = FULL_CASES[5]
    person, _, full_json = _identifiers(name)
    document = docx.Document()
    document.add_paragraph("The injured worker reported low back pain.")
    buffer = io.BytesIO()
    document.save(buffer)
    assert find_leaks(buffer.getvalue(), "clean.docx", full_case(name)) == []
    document.core_properties.author = person
    buffer = io.BytesIO()
    document.save(buffer)
    _check(tmp_path, "core.docx", buffer.getvalue(), name)
    assert "core.docx: docProps/core.xml" in capsys.readouterr().err
    # a customXml part holding the full case, as a writer that embedded the wrong case would
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/core.xml":
                data = data.replace(person.encode(), b"")
            archive.writestr(info, data)
        archive.writestr("customXml/item9.xml", b"<case>" + full_json + b"</case>")
    _check(tmp_path, "custom.docx", target.getvalue(), name)
    err = capsys.readouterr().err
    assert "custom.docx: customXml/item9.xml" in err
    assert "docProps/core.xml" not in err


@pytest.mark.parametrize("fmt", [f for f in imrgen.formats() if f in ("pdf", "docx")])
def test_a_public_file_with_a_planted_identifier_is_caught(
    tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The writers' own PDF/DOCX: clean as written, caught once a name is put in their metadata."""
    name = FULL_CASES[6]
    person, _, _ = _identifiers(name)
    data = get_writer(fmt).write(public_case(name), RenderOptions())
    assert find_leaks(data, f"x.{fmt}", full_case(name)) == []
    if fmt == "pdf":
        pdf = pikepdf.open(io.BytesIO(data))
        pdf.docinfo["/Author"] = person
        buffer = io.BytesIO()
        pdf.save(buffer)
        planted, where = buffer.getvalue(), "document info /Author"
    else:
        source = zipfile.ZipFile(io.BytesIO(data))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for info in source.infolist():
                part = source.read(info)
                if info.filename == "docProps/core.xml":
                    part = re.sub(
                        rb"<dc:creator>[^<]*</dc:creator>|(?=</cp:coreProperties>)",
                        f"<dc:creator>{person}</dc:creator>".encode(),
                        part,
                        count=1,
                    )
                archive.writestr(info, part)
        planted, where = buffer.getvalue(), "docProps/core.xml"
    _check(tmp_path, f"planted.{fmt}", planted, name)
    assert f"planted.{fmt}: {where}" in capsys.readouterr().err


def test_public_reads_letters_and_names_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    letter = sorted((SHARED / "seeds").glob("*.txt"))[0]
    missing = tmp_path / "missing.yaml"
    out = tmp_path / "out"
    assert main(["public", str(letter), str(missing), "-f", "txt", "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert f"error: {missing}: " in err and "no such file" in err
    assert "Traceback" not in err
    digest = hashlib.sha256(letter.read_bytes()).hexdigest()
    stem = imrgen.parse(letter).header.case_number or f"letter-{digest[:12]}"
    assert [p.name for p in out.iterdir()] == [f"{stem}.txt"]


def test_check_public_refuses_a_file_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = FULL_CASES[7]
    _check(tmp_path, "broken.pdf", b"%PDF-1.7\n1 0 obj <</Type /Catalog", name)
    assert "broken.pdf: unreadable PDF" in capsys.readouterr().err
    assert find_leaks(b"PK\x03\x04 not a zip", "broken.docx", full_case(name))
