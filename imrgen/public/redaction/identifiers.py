"""Identifiers: the ones a party's fields name (claim numbers, dates of birth, phones, addresses)
and the ones no field names, found by their form (SSN, e-mail, phone, claim-like numbers,
addresses, dates)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from ...case.model import Case, Parties
from .names import (
    parties_of,
)
from .texts import case_texts

SSN = re.compile(
    r"(?<![\w-])(?:\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|[Xx*]{3}-[Xx*]{2}-\d{4})(?![\w-])"
    r"|(?i:\b(?:SSN|SS#|social\s+security(?:\s+(?:number|no\.?|#))?)\s*(?:is\s+)?[:#]?\s*)"
    r"(?P<ssnvalue>\d{9}|\d{3}[-\s]\d{2}[-\s]\d{4})(?!\d)"
)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(
    r"(?<![\w/.-])(?:\+?1[\s.-]?)?(?:\(\s*[2-9]\d{2}\s*\)\s*|[2-9]\d{2}[\s.-]?)[2-9]\d{2}[\s.-]?\d{4}"
    r"(?!\d|[/-]\d)(?:\s*(?:x|ext\.?|extension)\s*\d{1,5})?"
)
CLAIM_LABEL = re.compile(
    r"(?i:\b(?:claim|clm|wcab|adj)\s*(?:number|no\.?|num\.?|#|id)?\s*(?:is\s+)?[:#]?\s*)"
    r"(?P<claimvalue>(?=[A-Z0-9\-/]*\d)[A-Z0-9][A-Z0-9\-/]{3,}[A-Z0-9])"
)
CASE_NUMBER = re.compile(r"^CM\d{2}-\d{7}$")
CLAIM_LIKE = re.compile(
    r"(?<![\w/.-])(?=(?:[A-Z-]*\d){7})[A-Z]{0,5}-?\d[A-Z0-9]*(?:-[A-Z0-9]+)*(?![\w/.-])"
)
STREET_SUFFIX = (
    r"(?:Street|Avenue|Ave|Boulevard|Blvd|Road|Rd|Drive|Lane|Ln|Way|Court|Ct|Place|Pl"
    r"|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Terrace|Ter|Square|Sq|Trail|Trl|Plaza|Alley|Loop"
    r"|Row|Path|Pike|Expressway|Freeway)"
)
UNIT = r"(?:,?\s*(?:Suite|Ste\.?|Apt\.?|Apartment|Unit|Building|Bldg\.?|Floor|Fl\.?|#)\s*[\w-]+)"
CITY_STATE_ZIP = (
    r"[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2},?\s+(?:CA|Calif\.?|California)\s+9\d{4}(?:-\d{4})?"
)
# "Dr" and "St" are street suffixes and also titles ("12 Sessions Per Dr. Jones", "St. Mary's"):
# a suffix only where no capitalized word follows, unless that word starts a unit or a city.
TITLE_OR_SUFFIX = (
    r"(?:Dr|St)\b(?!\.?\s+(?!(?:Suite|Ste|Apt|Apartment|Unit|Building|Bldg|Floor|Fl)\b"
    rf"|{CITY_STATE_ZIP})[A-Z])\.?"
)
ADDRESS = re.compile(
    rf"(?<![\w/.-])\d{{1,6}}[A-Z]?\s+(?:[NSEW]\.?\s+)?(?:(?:[A-Z][A-Za-z'\-]*|\d+(?:st|nd|rd|th))\.?\s+){{1,4}}"
    rf"(?:{STREET_SUFFIX}\b\.?|{TITLE_OR_SUFFIX}){UNIT}?(?:,?\s+{CITY_STATE_ZIP})?"
    rf"|\b(?:P\.?\s*O\.?\s*Box|Post\s+Office\s+Box)\s+\d+(?:,?\s+{CITY_STATE_ZIP})?"
    rf"|\b{CITY_STATE_ZIP}\b"
)
MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
# A date as letters write one, labelled or not: 2/19/1973, 02-19-73, 1973-02-19, February 19,
# 1973, Feb. 19th 1973, 19 Feb 1973, the 19th of February, 1973.
DATE_TEXT = (
    r"(?i:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?![\d/-])|\d{4}-\d{1,2}-\d{1,2}(?!\d)"
    rf"|{_MONTH}\.?\s+\d{{1,2}}{_ORDINAL},?\s+\d{{4}}"
    rf"|(?:the\s+)?\d{{1,2}}{_ORDINAL}\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{4}})"
)
DATES = re.compile(rf"(?<![\w/.-]){DATE_TEXT}(?!\w)")
DOB_LABEL = re.compile(
    r"(?i:\b(?:DOB|D\.O\.B\.|date\s+of\s+birth|birth\s*date|born(?:\s+on)?)\s*(?:is\s+|of\s+)?[:#]?\s*)"
    rf"(?P<dobvalue>{DATE_TEXT})"
)


_DATE = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$|^\d{4}-\d{2}-\d{2}$")


def names_date(text: str, value: date) -> bool:
    """Whether a DATE_TEXT match names this date (numbers month first, as US letters write
    them; a two-digit year stands for any century)."""
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    words = re.sub(r"(?i)\b(?:the|of)\b|(?<=\d)(?:st|nd|rd|th)", "", text)
    month_word = re.search(r"[A-Za-z]{3,}", words)
    if month_word:
        month = MONTHS.get(month_word.group(0)[:3].lower())
        day, year = numbers[0], numbers[-1]
    elif re.match(r"\d{4}-", text.strip()):
        year, month, day = numbers
    else:
        month, day, year = numbers
    century = 100 if year < 100 else 10_000
    return (month, day, year % century) == (value.month, value.day, value.year % century)


def date_forms(value: date) -> list[str]:
    """The ways a letter writes a date: 03/04/1968, 3/4/1968, 03-04-68, March 4, 1968 ..."""
    m, d, y = value.month, value.day, value.year
    month = value.strftime("%B")
    forms = {
        f"{m:02d}/{d:02d}/{y}", f"{m}/{d}/{y}", f"{m:02d}-{d:02d}-{y}", f"{m}-{d}-{y}",
        f"{m:02d}.{d:02d}.{y}", f"{m:02d}/{d:02d}/{y % 100:02d}", f"{m}/{d}/{y % 100:02d}",
        f"{m:02d}-{d:02d}-{y % 100:02d}", f"{y}-{m:02d}-{d:02d}", f"{month} {d}, {y}",
        f"{month[:3]} {d}, {y}", f"{month[:3]}. {d}, {y}", f"{d} {month} {y}", f"{month} {d} {y}",
    }  # fmt: skip
    return sorted(forms, key=len, reverse=True)


def _loose(text: str) -> str:
    """A pattern for a known string, tolerant of white space, case and separators."""
    parts = re.findall(r"[A-Za-z0-9]+|[^\sA-Za-z0-9]", text)
    out = ""
    for index, part in enumerate(parts):
        if index:
            out += r"[\s,]*" if parts[index - 1].isalnum() and part.isalnum() else r"\s*"
        out += re.escape(part)
    return out


def phone_digits(text: str) -> str:
    digits = re.sub(r"\D", "", re.split(r"(?i)\s*(?:x|ext)", text)[0])
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def phone_pattern(digits: str) -> str:
    if len(digits) != 10:
        return r"(?<!\d)" + r"[\s().\-]*".join(re.escape(c) for c in digits) + r"(?!\d)"
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return (
        rf"(?<![\w/-])(?:\+?1[\s.-]?)?\(?\s*{a}\s*\)?[\s.-]*{b}[\s.-]*{c}(?!\d)"
        r"(?:\s*(?:x|ext\.?|extension)\s*\d{1,5})?"
    )


# -- the redactor ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """One identifier of a case with its field path, the way the leak check reports it."""

    kind: str  # name, address, phone, email, claim-number, date-of-birth, ssn
    field: str
    value: str


def known_identifiers(case: Case) -> list[Known]:
    """Every identifier the case carries: its party fields, and those standing in its text."""
    found = party_identifiers(case.parties)
    for path, text in case_texts(case):
        for kind, value in detect(text):
            found.append(Known(kind, path, value))
    unique: dict[tuple[str, str], Known] = {}
    for item in found:
        unique.setdefault((item.kind, item.value.lower()), item)
    return list(unique.values())


def party_identifiers(p: Parties | None) -> list[Known]:
    """The identifiers the party fields name."""
    found = [Known("name", party.field, party.name) for party in parties_of(p)]
    if p is not None:
        holders: list[tuple[str, Any]] = [
            ("employee", p.employee),
            ("employer", p.employer),
            ("claims_administrator", p.claims_administrator),
            ("requesting_provider", p.requesting_provider),
            ("attorney", p.attorney),
        ]
        for role, holder in holders:
            if holder is None:
                continue
            address = getattr(holder, "address", None)
            if address:
                for line in address.splitlines():
                    found.append(Known("address", f"parties.{role}.address", line))
            phone = getattr(holder, "phone", None)
            if phone:
                found.append(Known("phone", f"parties.{role}.phone", phone))
        if p.employee:
            if p.employee.email:
                found.append(Known("email", "parties.employee.email", p.employee.email))
            if p.employee.claim_number:
                found.append(
                    Known("claim-number", "parties.employee.claim_number", p.employee.claim_number)
                )
            if p.employee.date_of_birth:
                found.append(
                    Known(
                        "date-of-birth",
                        "parties.employee.date_of_birth",
                        p.employee.date_of_birth.isoformat(),
                    )
                )
    return found


def detect(text: str) -> Iterator[tuple[str, str]]:
    """Identifiers standing in free text that no party field names."""
    for match in SSN.finditer(text):
        yield "ssn", match.group("ssnvalue") or match.group(0)
    for match in EMAIL.finditer(text):
        yield "email", match.group(0)
    for match in PHONE.finditer(text):
        yield "phone", match.group(0)
    for match in CLAIM_LABEL.finditer(text):
        value = match.group("claimvalue")
        if _claim_like(value):
            yield "claim-number", value
    for match in CLAIM_LIKE.finditer(text):
        if _claim_like(match.group(0)):
            yield "claim-number", match.group(0)
    for match in ADDRESS.finditer(text):
        yield "address", match.group(0)
    for match in DOB_LABEL.finditer(text):
        yield "date-of-birth", match.group("dobvalue")


def _claim_like(value: str) -> bool:
    return not (
        CASE_NUMBER.match(value)
        or _DATE.match(value)
        or PHONE.fullmatch(value)
        or SSN.fullmatch(value)
    )
