"""Redaction precision on the labeled evaluation set (tests/redaction_eval.py, issue 16): every
person mention taken out (recall), every word that is also a name kept (precision), per form of
writing, by the redactor and, independently, by the leak check."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from functools import cache

import pytest
from conftest import CORPUS, SEEDS
from redaction_eval import RATIONALE, SUMMARY, Span, eval_cases, plain

import imrgen
from imrgen.public.leaks import find_leaks
from imrgen.public.redaction import RedactionPolicy, Redactor, default_policy, redact
from imrgen.public.versions import public_version
from imrgen.writers import RenderOptions, get_writer

LETTERS = [CORPUS[3], SEEDS[1], CORPUS[17], SEEDS[3]]
_TOKEN = re.compile(r"\w+|[^\w\s]")


@cache
def cases() -> list[tuple[imrgen.Case, list[Span]]]:
    return eval_cases(LETTERS)


def field_text(case: imrgen.Case, path: str) -> str:
    return case.summary[0] if path == "summary[0]" else case.items[0].rationale[-1]


def kept_tokens(original: str, redacted: str) -> list[tuple[int, int, bool]]:
    """Each token of the original (start, end) and whether it is still there, by aligning the
    two token sequences."""
    before = list(_TOKEN.finditer(original))
    after = [m.group(0) for m in _TOKEN.finditer(redacted)]
    matcher = difflib.SequenceMatcher(None, [m.group(0) for m in before], after, autojunk=False)
    kept = [False] * len(before)
    for block in matcher.get_matching_blocks():
        for i in range(block.a, block.a + block.size):
            kept[i] = True
    return [(m.start(), m.end(), k) for m, k in zip(before, kept, strict=True)]


def outcomes() -> tuple[Counter[str], Counter[str], list[str]]:
    """Per form: spans labeled, spans decided right; and what was decided wrong."""
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    wrong: list[str] = []
    for case, spans in cases():
        public = redact(case)
        redactor = Redactor(case, default_policy())
        for path in ("summary[0]", "items[0].rationale[-1]"):
            original = field_text(case, path)
            redacted = redactor.text(original)
            assert field_text(public, path) == redacted  # the same as the whole case's redaction
            tokens = kept_tokens(original, redacted)
            mine = [s for s in spans if s.path == path]
            woven = min(s.start for s in mine)
            for start, end, kept in tokens:  # the real letter's own words
                if end <= woven and re.match(r"\w", original[start:end]):
                    key = "stay: the letter's own words"
                    total[key] += 1
                    right[key] += kept
                    if not kept:
                        wrong.append(f"{key}: {original[max(0, start - 30) : end + 30]!r}")
            for span in mine:
                inside = [
                    k
                    for s, e, k in tokens
                    if s >= span.start and e <= span.end and re.match(r"\w", original[s:e])
                    and not (original[s:e] == "s" and original[s - 1 : s] in "'’")  # "Chance's"
                ]  # fmt: skip
                ok = all(inside) if span.label == "stay" else not any(inside)
                key = f"{span.label}: {span.form}"
                total[key] += 1
                right[key] += ok
                if not ok:
                    wrong.append(f"{key}: {span.text!r} -> {redacted[:0]}{_near(redacted, span)}")
    return total, right, wrong


def _near(redacted: str, span: Span) -> str:
    return repr(redacted[max(0, span.start - 40) : span.end + 40])


def _table(title: str, total: Counter[str], right: Counter[str]) -> str:
    lines = [title]
    for key in sorted(total):
        lines.append(
            f"  {key:38} {right[key]:5} of {total[key]:5}  {100 * right[key] / total[key]:6.2f}%"
        )
    return "\n".join(lines)


def test_recall_and_precision_per_form() -> None:
    total, right, wrong = outcomes()
    go = [k for k in total if k.startswith("go:")]
    stay = [k for k in total if k.startswith("stay:")]
    recall = sum(right[k] for k in go) / sum(total[k] for k in go)
    labeled = [k for k in stay if k != "stay: the letter's own words"]
    precision = sum(right[k] for k in labeled) / sum(total[k] for k in labeled)
    print()
    print(_table("redaction, per form (decided right of labeled):", total, right))
    print(f"  recall (mentions removed)       {100 * recall:.2f}%")
    print(f"  precision (labeled words kept)  {100 * precision:.2f}%")
    assert {k.split(": ")[1] for k in go} >= {
        "full", "title", "credentials", "initials", "surname-initial", "possessive", "capitals",
        "split", "role", "sentence-start", "mid-sentence",
    }  # fmt: skip
    assert [w for w in wrong if w.startswith("go:")] == []  # a leak is never acceptable
    assert recall == 1.0
    assert precision >= 0.995, wrong
    own = "stay: the letter's own words"
    assert right[own] == total[own] > 1000, wrong


def test_the_leak_check_agrees_per_form() -> None:
    """Independently of the redactor: each mention, left as written while the sentence's other
    mentions are taken out, is a finding; each sentence as the redactor wrote it is none."""
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    disagreements: list[str] = []
    case = cases()[0][0]
    redactor = Redactor(case, default_policy())
    for sentence in SUMMARY + RATIONALE:
        clean, marks = plain(sentence)
        public = redactor.text(clean)
        leaks_public = find_leaks(public.encode(), "x.txt", case)
        if leaks_public:
            disagreements.append(f"{public!r}: {[str(x) for x in leaks_public]}")
        for index, (label, form, start, end) in enumerate(marks):
            if label != "go":
                continue
            # this mention as written, the others replaced by a phrase the check cannot mistake
            text = ""
            position = 0
            for other, (other_label, _, s, e) in enumerate(marks):
                if other != index and other_label == "go":
                    text += clean[position:s] + "the person"
                    position = e
            text += clean[position:]
            key = f"go: {form}"
            total[key] += 1
            found[key] += bool(find_leaks(text.encode(), "x.txt", case))
            assert clean[start:end] in text
    print()
    print(_table("leak check, each mention left as written (found):", total, found))
    assert found == total
    assert disagreements == []


def test_replacements_read_well() -> None:
    """The sentence keeps its punctuation, a role already named is not named twice, and the
    policy decides the wording."""
    case = cases()[0][0]
    state = Redactor(case, default_policy())
    assert state.text("The MRI was read by Patrick Still, D.O. The study was normal.") == (
        "The MRI was read by another provider. The study was normal."
    )
    assert state.text("Her attorney, Dawn Graves, wrote again.") == "Her attorney wrote again."
    assert state.text("Her attorney Dawn Graves wrote.") == "Her attorney wrote."
    assert state.text("The treating provider, Dr. Speed, agreed.") == (
        "The treating provider agreed."
    )
    assert state.text("Dr. Speed performed Speed's test.") == (
        "The treating provider performed Speed's test."
    )
    assert state.text("Long-term use was advised by Glen Baker, PT.") == (
        "Long-term use was advised by another provider, PT."
    )
    marker = Redactor(case, RedactionPolicy.named("marker-only"))
    assert marker.text("Her attorney, Dawn Graves, wrote again.") == (
        "Her attorney, [REDACTED], wrote again."
    )


@pytest.mark.parametrize("index", range(4))
def test_the_public_pipeline_passes_and_the_full_letter_is_refused(index: int) -> None:
    case, _ = cases()[index]
    files = public_version(case, ["txt", "html", "docx", "md"])
    assert set(files) == {"txt", "html", "docx", "md"}
    full = get_writer("txt").write(case, RenderOptions(letter="full"))
    fields = {leak.field for leak in find_leaks(full, "full.txt", case)}
    assert {"parties.employee.name", "parties.requesting_provider.name"} <= fields


@pytest.mark.parametrize(
    ("written", "public"),
    [
        (
            "Seen according to speed (tel. 555).",
            "Seen according to the treating provider (tel. 555).",
        ),
        ("Her attorney graves wrote.", "Her attorney wrote."),
        ("The claimant chance was seen.", "The claimant the injured worker was seen."),
        ("Per speed's notes.", "Per the treating provider's notes."),
        ("She is still at a speed of work that leaves no chance.", None),
        ("The iris was round; she fell from a cliff at dawn.", None),
    ],
)
def test_lower_case_decided_by_context(written: str, public: str | None) -> None:
    case = cases()[0][0]
    assert Redactor(case, default_policy()).text(written) == (public or written)
    findings = find_leaks(written.encode(), "x.txt", case)
    assert bool(findings) == (public is not None)  # the leak check decides the same, by itself
