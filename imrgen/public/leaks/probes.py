"""What the leak check looks for: every identifier of the source case (names, initials,
addresses, numbers, dates of birth in every form), each as a Probe, and the findings (Leak)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date

from ...case.model import Case
from ..redaction import (
    Known,
    date_forms,
    eponym_surnames,
    initials_of,
    is_common_word,
    is_very_common,
    known_identifiers,
    name_words,
    needs_context,
    parties_of,
    phone_digits,
    searchable_tokens,
    split_person,
)
from .views import normalize


@dataclass(frozen=True)
class Leak:
    """One identifier found in a file: where inside it, which kind, which field of the source."""

    file: str
    where: str  # "page 2 text", "document info /Author", "word/document.xml" ...
    kind: str  # name, address, phone, email, claim-number, date-of-birth, ssn
    field: str  # the source field it comes from, e.g. "parties.employee.name"
    hint: str  # the identifier masked: enough to find it, never the whole of it

    def __str__(self) -> str:
        if self.kind == UNREADABLE:
            return f"{self.file}: {self.where}: cannot be read, so cannot be cleared"
        return f"{self.file}: {self.where}: {self.kind} from {self.field} ({self.hint})"


UNREADABLE = "unreadable"


def mask(value: str) -> str:
    value = " ".join(value.split())
    if len(value) <= 2:
        return "*" * len(value)
    return value[:2] + "*" * min(len(value) - 2, 12) + f" ({len(value)} chars)"


@dataclass(frozen=True)
class Probe:
    """One way of finding one identifier in normalized text."""

    known: Known
    pattern: re.Pattern[str] | None = None  # on the normalized text
    # a name word that is also found where the case's structure prints it (a guideline's
    # "Hand Complaints", the organization's "Federal Services") is searched outside it
    word: bool = False
    # a name part that is also a word or an eponym: a match counts unless it is plainly the word
    ambiguous: bool = False
    first_name: bool = False  # the token is the person's first name
    squeezed: str | None = None  # on the text reduced to lower-case letters and digits
    digits: str | None = None  # on runs of digits and phone separators


def squeeze(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _word_pattern(word: str, lower: bool = False) -> re.Pattern[str]:
    body = re.escape(word.lower().replace("’", "'"))
    if needs_context(word):
        # an everyday word or an eponym: where written with a capital, as a name is (and, for
        # a person, in lower case too, judged by plainly_a_word)
        forms = f"{re.escape(word.capitalize())}|{re.escape(word.upper())}"
        if lower:
            forms += f"|{body}"
        return re.compile(rf"(?<![0-9A-Za-z])(?:{forms})(?![0-9A-Za-z])")
    return re.compile(rf"(?<![0-9a-z]){body}(?![0-9a-z])", re.I)


# The leak check's own reading of a capitalized word that is also a name, stricter than the
# redactor's: a match is set aside only where it is plainly not the person, and counts
# everywhere else (in capitals, in mid-sentence, after a title, before a verb ...).
# a title, or an initial ("I. Chance"), before the word
_TITLE_BEFORE = re.compile(
    r"(?i:\b(?:dr|mr|mrs|ms|miss|mx|prof|doctor)\.?\s*$)|(?<![A-Za-z])[A-Z]\.\s*$"
)
_STARTS_SENTENCE = re.compile(r"(?:^|[.!?:;>]['\"”’)]?\s*|[\"“(]\s*)$")
_HEAD_NOUN = re.compile(
    r"(?i)(?:['’]s?)?\s+(?:tests?|signs?|maneuvers?|disease|syndrome|fractures?|cysts?|palsy"
    r"|lymphoma|contractures?|nodes?|neuromas?|tendon|lesions?|deformity|phenomenon|reflex"
    r"|changes|canal|tenosynovitis|joint|injury|atrophy)\b"
)
_REPORTS = re.compile(
    r",?\s+(?:(?:also|then|still|now|again|later|never|often|further)\s+)?"
    r"(?:reported|reports|noted|notes|stated|states|said|wrote|writes|documented|documents"
    r"|recommended|requested|requests|indicated|opined|examined|saw|treated|ordered|referred"
    r"|diagnosed|prescribed|explained|agreed|signed|returned|complained|denied|underwent"
    r"|testified|continues|presented|submitted|performed|described|reviewed|found|felt"
    r"|sustained|received|declined|admitted|remains|who|was|is|has|had|did|does|will|would"
    r"|could|should|can|may|might|must)\b"
)


_ROLE_BEFORE = re.compile(
    r"(?i)\b(?:attorneys?|counsel|lawyer|provider|physician|doctor|surgeon|therapist|nurse"
    r"|chiropractor|reviewer|applicant|claimant|patient|worker|employee|according\s+to),?\s+$"
)


def plainly_a_word(text: str, match: re.Match[str], first_name: bool) -> bool:
    token = match.group(0)
    # markup writes an apostrophe as an entity ("Speed&#39;s test"); read what follows as text
    before, after = text[: match.start()], html.unescape(text[match.end() : match.end() + 80])
    if _TITLE_BEFORE.search(before):
        return False
    if token.lower() in eponym_surnames() and _HEAD_NOUN.match(after):
        return True  # "Still's disease", "Speed test"
    if re.match(r"-[A-Za-z]", after) or re.search(r"[A-Za-z]-$", before):
        return True  # "High-Speed", "Still-present"
    if token.islower():
        # in lower case: the word, unless it is no everyday word ("thomas") or only a person
        # fits around it: a role word or "according to" before, a possessive or a person's
        # details in parentheses after
        return not (
            not is_common_word(token)
            or _ROLE_BEFORE.search(before)
            or re.match(
                r"['’]s?(?![A-Za-z])|\s*\((?:DOB|D\.O\.B|date of birth|claim|SSN|tel|\d)", after
            )
        )
    if token.isupper() or not _STARTS_SENTENCE.search(before):
        return False
    # a capital at a sentence start: the word, where a lower-case word (or a comma and one)
    # follows that is not what a person does, and the word is plainly in use as a word: the
    # same text writes it in lower case, it is among the commonest words, "of" follows, or it
    # is a first name (which a letter rarely writes alone as a subject)
    if not re.match(r",?\s+[a-z]", after) or _REPORTS.match(after):
        return False
    lower = re.compile(rf"(?<![A-Za-z-]){re.escape(token.lower())}(?![A-Za-z])")
    return (
        first_name
        or is_very_common(token)
        or after.startswith(" of ")
        or lower.search(text) is not None
    )


def probes(case: Case) -> list[Probe]:
    """Every identifier of the source case, each in every form worth searching."""
    found: list[Probe] = []
    parties = {p.field: p for p in parties_of(case.parties)}
    for known in known_identifiers(case):
        if known.kind == "name":
            party = parties.get(known.field)
            tokens = searchable_tokens(party) if party else name_words(known.value)
            for token in tokens:
                ambiguous = party is not None and party.person and needs_context(token)
                first = party is not None and party.person and split_person(party.name).first
                found.append(
                    Probe(
                        known,
                        pattern=_word_pattern(token, lower=ambiguous),
                        word=True,
                        ambiguous=ambiguous,
                        first_name=bool(first) and token == first,
                    )
                )
            if party and party.person:
                found.extend(_initial_probes(known, party.name))
            squeezed = squeeze(known.value)
            if len(name_words(known.value)) >= 2 and len(squeezed) >= 6:
                found.append(Probe(known, squeezed=squeezed))
        elif known.kind == "phone":
            digits = phone_digits(known.value)
            if len(digits) >= 7:
                found.append(Probe(known, digits=digits))
        elif known.kind == "ssn":
            found.append(Probe(known, digits=re.sub(r"\D", "", known.value)))
        elif known.kind == "date-of-birth":
            try:
                value = date.fromisoformat(known.value)
            except ValueError:
                found.append(Probe(known, squeezed=squeeze(known.value)))
            else:
                for form in _birth_date_forms(value):
                    found.append(Probe(known, squeezed=form))
        elif known.kind == "address":
            lines = [known.value]
            first = known.value.split(",")[0]
            if re.search(r"\d", first) and re.search(r"[A-Za-z]{3}", first):
                lines.append(first)
            for line in lines:
                if len(squeeze(line)) >= 6:
                    found.append(Probe(known, squeezed=squeeze(line)))
        else:  # email, claim-number
            squeezed = squeeze(known.value)
            if len(squeezed) >= 5:
                found.append(Probe(known, squeezed=squeezed))
    return found


def _initial_probes(known: Known, name: str) -> list[Probe]:
    """A person's initials where they can only be the person: dotted together ("J.R."), or a
    first initial set off by commas where a surname stood ("the injured worker, J., ...")."""
    person = split_person(name)
    letters = initials_of(person)
    if not letters or not person.first:
        return []
    dotted = r"\s?".join(f"{re.escape(c)}\\." for c in letters)
    first = re.escape(person.first[0].upper())
    pattern = rf"(?<![A-Za-z.]){dotted}|(?<=,)\s?{first}\.(?=\s?[,;:)]|$)"
    return [Probe(known, pattern=re.compile(pattern))]


_MONTH_NAMES = [
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
    ("may", "may"), ("june", "jun"), ("july", "jul"), ("august", "aug"),
    ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"), ("december", "dec"),
]  # fmt: skip


def _birth_date_forms(value: date) -> set[str]:
    """A date of birth squeezed (letters and digits only) in every way a letter writes it:
    numbers month first with or without zeros and with two or four digits of year, ISO, and
    the month by name, abbreviated, before or after the day, the day with or without "th"."""
    m, d, y = value.month, value.day, value.year
    suffix = "th" if 10 <= d % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    forms = {squeeze(f) for f in date_forms(value)}
    for month in (str(m), f"{m:02d}"):
        for day in (str(d), f"{d:02d}"):
            for year in (str(y), f"{y % 100:02d}"):
                forms.add(f"{month}{day}{year}")
    forms.add(f"{y}{m:02d}{d:02d}")
    for name in _MONTH_NAMES[m - 1]:
        for day in (str(d), f"{d}{suffix}"):
            forms.update({f"{name}{day}{y}", f"{day}{name}{y}", f"{day}of{name}{y}"})
    return forms


# Labelled dates of birth, read for themselves whatever the case says (a date of birth that no
# party field names is still one): "DOB 2/19/1973", "date of birth: February 19th, 1973".
BIRTH_LABEL = re.compile(
    r"(?i)\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|born(?:\s+on)?)\s*(?:is\s+|of\s+)?"
    r"[:#]?\s*(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}"
    r"|[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?[A-Z][a-z]{2,8}\.?,?\s+\d{4})"
)


def structure_phrases(case: Case) -> list[str]:
    """What the case's structure prints as the guidelines and the form write it: the
    organization and the MTUS citations. A name word of a party found only inside one of them
    ("Hand" in "Forearm, Wrist, and Hand Complaints") is that phrase, not the person; a phrase
    that carries a title ("Dr.") or any other sign of a person is not set aside."""
    found = {case.organization.name, case.organization.short_name}
    for item in case.items:
        for basis in (item.claims_administrator_basis, item.reviewer_basis):
            for citation in basis.mtus:
                found.add(citation.part)
                found.update(citation.sections)
    person = re.compile(r"(?i)\b(?:dr|mr|mrs|ms|doctor|m\.d|d\.o)\b|['’]s\b")
    return sorted(
        (normalize(p) for p in found if p and not person.search(p)), key=len, reverse=True
    )
