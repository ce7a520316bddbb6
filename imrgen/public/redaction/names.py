"""The parties of a case and their names: persons and organizations, split into the words and
tokens a search looks for."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...case.model import Parties

PERSON_ROLES = ("employee", "requesting_provider", "attorney", "other_provider", "reviewer")
PROVIDER_ROLES = ("requesting_provider", "other_provider", "reviewer")

CREDENTIAL_WORDS = {
    "md", "do", "dc", "phd", "pa", "pa-c", "np", "rn", "dpm", "dds", "od", "psyd", "lac",
    "esq", "jr", "sr", "ii", "iii", "iv", "facs", "faaos", "mph", "msn", "fnp",
}  # fmt: skip
# Credentials written as dotted capitals, which initials of a person must not be taken for.
DOTTED_CREDENTIALS = {"md", "do", "dc", "pa", "np", "rn", "od", "dds", "dpm", "mph", "phd", "psyd"}
PARTICLES = {"de", "del", "della", "la", "le", "van", "von", "der", "den", "da", "di", "du", "st"}
# Words that name organizations but say nothing about which one; never searched alone.
ORG_WORDS = {
    "inc", "incorporated", "llc", "llp", "lp", "ltd", "corp", "corporation", "co", "company",
    "companies", "group", "services", "service", "insurance", "ins", "mutual", "medical",
    "health", "healthcare", "center", "centre", "clinic", "hospital", "associates", "partners",
    "law", "firm", "office", "offices", "of", "the", "and", "for", "california", "state",
    "county", "city", "national", "american", "united", "general", "risk", "management",
    "claims", "claim", "administrators", "administrator", "solutions", "systems", "industries",
    "enterprises", "holdings", "international", "fund", "compensation", "workers", "district",
    "school", "unified", "department", "dept", "care", "network", "physicians", "orthopedic",
    "orthopaedic", "pain", "spine", "rehabilitation", "therapy", "family", "practice", "west",
    "east", "north", "south", "pacific", "valley", "bay", "coast", "golden", "best", "first",
}  # fmt: skip
# Names that are also everyday words: searched alone only as written with a capital.
COMMON_WORDS = {
    "will", "mark", "grant", "rose", "hope", "faith", "joy", "may", "june", "april", "august",
    "bill", "art", "pat", "frank", "dean", "miles", "rich", "sue", "bell", "page", "case",
    "king", "young", "cook", "long", "white", "black", "brown", "green", "hall", "wood", "ward",
    "park", "rice", "hunt", "lane", "price", "chase", "hand", "foot", "back", "head", "neck",
    "knee", "care", "gay", "ray", "gene", "sage", "summer", "winter", "daily", "major", "little",
    "small", "strong", "love", "low", "cross", "bone", "rest", "walker", "nurse", "doctor",
    "best", "early", "short", "sharp", "ill", "well", "wells", "burns", "day", "man", "max",
    "ace", "ben", "don", "jack", "lee", "ma", "an", "do", "per", "see", "son", "van",
}  # fmt: skip

TITLE = r"(?:dr|doctor|mr|mrs|ms|miss|mx|prof|professor)(?:\.\s*|\s+)"
CREDENTIALS = (
    r"(?:,?\s+(?-i:M\.?\s?D|D\.?\s?O|D\.?\s?C|Ph\.?\s?D|P\.?A\.?(?:-C)?|N\.?P|R\.?N|D\.?P\.?M"
    r"|Psy\.?D|Esq|Jr|Sr|II|III|IV|FACS|MPH)\.?(?!\w))*"
)
POSSESSIVE = r"(?P<poss>['’]s(?!\w)|(?<=s)['’](?!\w))?"
_SENTENCE_START = re.compile(r"(?:^|[.!?]['\"”’)]?\s+|[\"“]\s*)$")


@dataclass(frozen=True)
class Party:
    """One named party: its role (the policy key), where it stands, and its name."""

    role: str
    field: str  # e.g. "parties.employee.name"
    name: str
    person: bool


def parties_of(parties: Parties | None) -> list[Party]:
    if parties is None:
        return []
    found: list[Party] = []

    def add(role: str, path: str, name: str | None, person: bool) -> None:
        if name and name.strip():
            found.append(Party(role, f"parties.{path}", name, person))

    p = parties
    if p.employee:
        add("employee", "employee.name", p.employee.name, True)
    if p.employer:
        add("employer", "employer.name", p.employer.name, False)
    if p.claims_administrator:
        add("claims_administrator", "claims_administrator.name", p.claims_administrator.name, False)
    if p.requesting_provider:
        add("requesting_provider", "requesting_provider.name", p.requesting_provider.name, True)
    if p.attorney:
        add("attorney", "attorney.name", p.attorney.name, True)
        add("law_firm", "attorney.firm", p.attorney.firm, False)
    for index, other in enumerate(p.other_providers):
        add("other_provider", f"other_providers[{index}].name", other.name, True)
    if p.reviewer:
        add("reviewer", "reviewer.name", p.reviewer.name, True)
    return found


def _credentials(segment: str) -> bool:
    words = re.findall(r"[A-Za-z.\-]+", segment)
    return bool(words) and all(w.replace(".", "").lower() in CREDENTIAL_WORDS for w in words)


def name_words(name: str) -> list[str]:
    """The words of a name, credentials and punctuation left out ("Alan J. Brooks, MD")."""
    words = re.findall(r"[^\W\d_](?:[^\W\d_]|['’\-])*\.?", name)
    kept: list[str] = []
    for word in words:
        bare = word.rstrip(".").lower().replace("’", "'")
        if bare.replace(".", "") in CREDENTIAL_WORDS and kept:
            continue
        kept.append(word.rstrip("."))
    return kept


@dataclass(frozen=True)
class PersonName:
    first: str | None
    middles: tuple[str, ...]
    surname: tuple[str, ...]  # with its particles: ("de", "la", "Cruz")


def split_person(name: str) -> PersonName:
    segments = [seg for seg in name.split(",") if name_words(seg) and not _credentials(seg)]
    words = name_words(" ".join(segments))
    if len(segments) >= 2:  # "Brooks, Alan J."
        words = name_words(" ".join(segments[1:])) + name_words(segments[0])
    if not words:
        return PersonName(None, (), ())
    if len(words) == 1:
        return PersonName(None, (), (words[0],))
    end = len(words) - 1
    start = end
    while start - 1 >= 1 and words[start - 1].lower() in PARTICLES:
        start -= 1
    return PersonName(words[0], tuple(words[1:start]), tuple(words[start:]))


def searchable_tokens(party: Party) -> list[str]:
    """The words of a party's name that identify it on their own."""
    if party.person:
        person = split_person(party.name)
        words = [w for w in (person.first, *person.middles, *person.surname) if w]
        tokens: list[str] = []
        for word in words:
            for part in re.split(r"-", word):
                if len(part) >= 2 and part.lower() not in PARTICLES:
                    tokens.append(part)
            if "-" in word:
                tokens.append(word)
        if len(person.surname) > 1:  # "de la Fuente"
            tokens.append(" ".join(person.surname))
        return tokens
    return [w for w in name_words(party.name) if len(w) >= 3 and w.lower() not in ORG_WORDS]
