"""The search: every probe of the source case in every view of a file, one finding per place
and identifier."""

from __future__ import annotations

import re
from pathlib import Path

from ...case.model import Case
from ..redaction import (
    EMAIL,
    SSN,
)
from .probes import (
    BIRTH_LABEL,
    UNREADABLE,
    Leak,
    Probe,
    mask,
    plainly_a_word,
    probes,
    squeeze,
    structure_phrases,
)
from .views import normalize, views

_DIGIT_RUN = re.compile(r"\d(?:[\d\s().\-/+]*\d)?")


def _search(text: str, probe: Probe, squeezed: str, digit_runs: list[str]) -> bool:
    if probe.pattern is not None:
        if probe.ambiguous:
            return any(
                not plainly_a_word(text, m, probe.first_name) for m in probe.pattern.finditer(text)
            )
        return probe.pattern.search(text) is not None
    if probe.squeezed is not None:
        return probe.squeezed in squeezed
    if probe.digits is not None:
        return any(probe.digits in run for run in digit_runs)
    return False


def _numbers_readable(where: str) -> bool:
    """A PDF content stream or font is full of numbers of every shape; digit identifiers are
    read there only from its strings (the text a page draws is read from the page itself)."""
    if where.startswith(("stream at", "objects outside")):
        return where.endswith(("(strings)", "(JSON strings)"))
    return True


def _numeric(probe: Probe) -> bool:
    if probe.digits is not None:
        return True
    value = probe.squeezed or ""
    return sum(c.isdigit() for c in value) * 2 >= len(value) > 0


def find_leaks(data: bytes, filename: str, source_case: Case) -> list[Leak]:
    """Every identifier of source_case that the file carries anywhere, one finding per place
    and identifier."""
    wanted = probes(source_case)
    phrases = _phrase_patterns(structure_phrases(source_case))
    leaks: dict[tuple[str, str, str], Leak] = {}
    for where, raw in views(data, filename):
        if where.startswith("unreadable") or where.endswith("(unreadable)"):
            leaks[(where, UNREADABLE, "")] = Leak(filename, where, UNREADABLE, "-", "-")
            continue
        # one finding per place: the variants of a view ("(markup removed)" ...) are one place
        place = re.sub(
            r" \((?:markup removed|markup removed, runs joined|entities undone|escapes"
            r" undone|JSON strings|strings)\)$",
            "",
            where,
        )
        if not raw:
            continue
        text = normalize(raw)
        variants = [text]
        joined = re.sub(r"(?<=[A-Za-z])[-‐] (?=[a-z])", "", text)
        if joined != text:
            variants.append(joined)
        # name words are searched where the structure's phrases are blanked out
        outside = [_blank(v, phrases) for v in variants]
        squeezed = squeeze(text)
        digit_runs = [re.sub(r"\D", "", run) for run in _DIGIT_RUN.findall(text)]
        numbers_readable = _numbers_readable(where)
        for probe in wanted:
            key = (place, probe.known.field, probe.known.value.lower())
            if key in leaks or (not numbers_readable and _numeric(probe)):
                continue
            if any(
                _search(v, probe, squeezed, digit_runs)
                for v in (outside if probe.word else variants)
            ):
                leaks[key] = Leak(
                    filename, place, probe.known.kind, probe.known.field, mask(probe.known.value)
                )
        # identifiers standing in a text view with no source field: an SSN or e-mail address
        # (PDF streams hold numbers of every shape, so only text views are read this way)
        if not where.startswith(("stream at", "objects outside", "raw")) and (
            where.startswith(("page ", "document info", "text"))
            or where.endswith(("(markup removed)", "(JSON strings)"))
        ):
            found = ((SSN, "ssn"), (EMAIL, "email"), (BIRTH_LABEL, "date-of-birth"))
            for pattern, kind in found:
                for match in pattern.finditer(text):
                    key = (place, kind, match.group(0).lower())
                    leaks.setdefault(
                        key, Leak(filename, place, kind, "pattern", mask(match.group(0)))
                    )
    return sorted(leaks.values(), key=lambda leak: (leak.where, leak.kind, leak.field))


# between the words of a phrase, a file may put markup or an entity as well as a space
_BETWEEN_WORDS = r"(?:[\s\u00a0]|<[^>]*>|&#?\w+;)+"


def _phrase_patterns(phrases: list[str]) -> list[re.Pattern[str]]:
    return [
        # no word boundaries: a view with its runs joined glues a phrase to the word before it
        re.compile(_BETWEEN_WORDS.join(re.escape(w) for w in phrase.split()))
        for phrase in phrases
    ]


def _blank(text: str, phrases: list[re.Pattern[str]]) -> str:
    for phrase in phrases:
        text = phrase.sub(" \u2063 ", text)
    return text


def check_file(path: str | Path, source_case: Case) -> list[Leak]:
    path = Path(path)
    return find_leaks(path.read_bytes(), path.name, source_case)
