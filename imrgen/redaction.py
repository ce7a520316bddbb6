"""Public versions: a policy says how each party and each kind of identifier goes, and redact()
takes them out of the model (parties dropped) and out of every free text the letter prints."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import Enum, StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ImrgenError
from .model import Case, Parties

MARKER = "[REDACTED]"


class PolicyError(ImrgenError):
    """A redaction policy file that cannot be used."""


class Action(StrEnum):
    PHRASE = "phrase"  # a generic phrase such as "the treating provider"
    REDACT = "redact"  # the policy's marker, "[REDACTED]"
    REMOVE = "remove"  # nothing at all
    KEEP = "keep"  # left as written; the leak check refuses such a file for a public version


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    phrase: str | None = None

    @model_validator(mode="after")
    def _phrase_needs_text(self) -> Rule:
        if self.action is Action.PHRASE and not (self.phrase and self.phrase.strip()):
            raise ValueError("action 'phrase' needs a phrase")
        return self


def _phrase(text: str) -> Rule:
    return Rule(action=Action.PHRASE, phrase=text)


def _redact() -> Rule:
    return Rule(action=Action.REDACT)


class PartyRules(BaseModel):
    """How the name of each party is replaced."""

    model_config = ConfigDict(extra="forbid")

    employee: Rule = Field(default_factory=lambda: _phrase("the injured worker"))
    employer: Rule = Field(default_factory=lambda: _phrase("the employer"))
    claims_administrator: Rule = Field(default_factory=lambda: _phrase("the claims administrator"))
    requesting_provider: Rule = Field(default_factory=lambda: _phrase("the treating provider"))
    attorney: Rule = Field(default_factory=lambda: _phrase("the attorney"))
    law_firm: Rule = Field(default_factory=lambda: _phrase("the attorney's firm"))
    other_provider: Rule = Field(default_factory=lambda: _phrase("another provider"))
    reviewer: Rule = Field(default_factory=lambda: _phrase("the expert reviewer"))


class IdentifierRules(BaseModel):
    """How identifiers go, whether a party field names them or they stand only in the text."""

    model_config = ConfigDict(extra="forbid")

    ssn: Rule = Field(default_factory=_redact)
    phone: Rule = Field(default_factory=_redact)
    email: Rule = Field(default_factory=_redact)
    claim_number: Rule = Field(default_factory=_redact)
    address: Rule = Field(default_factory=_redact)
    date_of_birth: Rule = Field(default_factory=_redact)


class RedactionPolicy(BaseModel):
    """Which identifiers go and how; the default is the state's published practice."""

    model_config = ConfigDict(extra="forbid")

    name: str = "state-practice"
    description: str = ""
    marker: str = Field(default=MARKER, min_length=1)
    parties: PartyRules = Field(default_factory=PartyRules)
    identifiers: IdentifierRules = Field(default_factory=IdentifierRules)

    @classmethod
    def from_yaml(cls, path: str | Path) -> RedactionPolicy:
        """Read a policy file; a problem names the file and the field path."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"{path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise PolicyError(f"{path}: not UTF-8 text ({exc.reason})") from None
        return cls.from_text(text, str(path))

    @classmethod
    def from_text(cls, text: str, source: str = "<policy>") -> RedactionPolicy:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise PolicyError(f"{source}: not valid YAML: {exc}") from None
        except RecursionError:
            raise PolicyError(f"{source}: nested too deep to be a policy") from None
        if not isinstance(data, dict):
            raise PolicyError(f"{source}: expected a mapping of policy fields")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise PolicyError(f"{source}: {problems}") from None

    @classmethod
    def named(cls, name: str) -> RedactionPolicy:
        """A policy shipped with imrgen: 'default' (the state's practice) or 'marker-only'."""
        folder = resources.files("imrgen") / "policies"
        entry = folder / f"{name}.yaml"
        if not entry.is_file():
            known = ", ".join(
                sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))
            )
            raise PolicyError(
                f"unknown policy '{name}'; shipped: {known} (or the path of a YAML file)"
            )
        return cls.from_text(entry.read_text(encoding="utf-8"), f"imrgen/policies/{name}.yaml")


def default_policy() -> RedactionPolicy:
    return RedactionPolicy.named("default")


def load_policy(value: str | Path | None) -> RedactionPolicy:
    """The --policy option: a policy shipped with imrgen by name ("marker-only"), or the path
    of the user's own YAML file; none means the default."""
    if value is None or value == "":
        return default_policy()
    text = str(value)
    if isinstance(value, Path) or re.search(r"[/\\]|\.ya?ml$", text):
        return RedactionPolicy.from_yaml(text)
    return RedactionPolicy.named(text)


# -- the parties and their names ------------------------------------------------------------

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


def _token(word: str) -> str:
    """A pattern for one written word: any case, broken by a soft hyphen or a line-end hyphen."""
    pieces: list[str] = []
    for char in word:
        if char == " ":
            pieces.append(GAP)
        elif char in "'’":
            pieces.append("['’]")
        elif char == "-":
            pieces.append(r"(?:\s*[-‐‑–]\s*|\s+)")
        else:
            pieces.append(re.escape(char))
    # a soft hyphen may stand anywhere; a line-end hyphen only in a word long enough to break
    joiner = r"(?:\u00ad|[-‐]\s+)?" if len(word) >= 4 else "\u00ad?"
    out = pieces[0]
    for previous, piece in zip(word, pieces[1:], strict=False):
        out += (joiner if previous.isalpha() else "") + piece
    return out


def _word(word: str, lower: bool = False) -> str:
    """A pattern for a name part; one that is an everyday word or an eponym only as a name is
    written, with a capital (`lower`: in lower case too, for the caller to judge by context)."""
    if needs_context(word):
        forms = [_token(word.capitalize()), _token(word.upper())]
        return "(?-i:" + "|".join(forms + ([_token(word.lower())] if lower else [])) + ")"
    return f"(?:{_token(word)})"


# -- names that are also words or eponyms -----------------------------------------------------

# A name part at least this frequent as an English word (wordfreq's Zipf scale: 3 is about once
# per million words; "baker" 4.2, "still" 5.9, "ricketts" 2.6) is a word as well as a name.
COMMON_ZIPF = 3.0
VERY_COMMON_ZIPF = 5.0
# What follows an eponym: "Speed's test", "Baker cyst", "Still's disease".
EPONYM_HEADS = (
    r"(?:tests?|signs?|maneuvers?|manoeuvres?|disease|syndrome|fractures?|cysts?|palsy|lymphoma"
    r"|contractures?|nodes?|neuromas?|tendon|lesions?|deformity|phenomenon|reflex|changes|canal"
    r"|tenosynovitis|joint|injury|atrophy|classification|criteria|procedure|position)"
)
# Words that name a person's role: a name part beside one is a person ("attorney Graves").
ROLE_WORDS = (
    r"(?:attorneys?|counsel|lawyer|provider|physician|doctor|surgeon|therapist|chiropractor"
    r"|nurse|reviewer|applicant|claimant|patient|worker|employee|psychologist|podiatrist)"
)
ADVERBS = r"(?:also|then|still|now|again|later|never|often|further|previously|subsequently)"
# What a person does at the start of a sentence, where a word is capitalized anyway.
PERSON_VERBS = (
    r"(?:reported|reports|noted|notes|stated|states|said|says|wrote|writes|documented|documents"
    r"|recommended|recommends|requested|requests|indicated|indicates|opined|opines|examined"
    r"|examines|saw|sees|treated|treats|ordered|orders|referred|refers|diagnosed|diagnoses"
    r"|prescribed|prescribes|explained|explains|agreed|agrees|asked|asks|signed|signs|returned"
    r"|returns|complained|complains|denied|denies|underwent|attended|attends|testified|continues"
    r"|continued|presented|presents|submitted|submits|performed|performs|described|describes"
    r"|reviewed|reviews|found|finds|felt|feels|believes|believed|sustained|received|receives"
    r"|declined|declines|endorsed|endorses|admitted|admits|remains|remained|who|himself|herself"
    r"|appealed|appeals|argued|argues|contends|contended|disputes|disputed|filed|files"
    r"|was|is|has|had|did|does|will|would|could|should|can|may|might|must|lives|lived|works"
    r"|worked|walks|walked|uses|used|takes|took|went|says|told|tells|called|calls|underwent)"
)


@cache
def eponym_surnames() -> frozenset[str]:
    """The surnames of the medical eponyms shipped in imrgen/policies/eponyms.txt."""
    text = (resources.files("imrgen") / "policies" / "eponyms.txt").read_text(encoding="utf-8")
    names: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            surname = line.rsplit(" ", 1)[0]
            names.add(surname.lower())
            names.update(part.lower() for part in re.split(r"[-\s]", surname))
    return frozenset(names)


@cache
def _dictionary_words() -> frozenset[str]:
    """Webster's Second International (public domain) as the english-words package ships it:
    common words in lower case, proper names with a capital, so "still" and "baker" are in
    this set while "Patrick" and "Garcia" are not."""
    from english_words import get_english_words_set

    return frozenset(w for w in get_english_words_set(["web2"], lower=False) if w.islower())


@cache
def is_common_word(word: str) -> bool:
    """Whether a name part is also an everyday English word: a dictionary word (or its plural)
    that is common in use, by wordfreq's frequencies (both packages ship their data, so this
    works offline). "Still", "Baker", "Speed" are; "Garcia", "Patrick", "Ricketts" are not."""
    from wordfreq import zipf_frequency

    bare = word.lower().replace("’", "'")
    words = _dictionary_words()
    listed = bare in words or (bare.endswith("s") and bare[:-1] in words)
    return bare in COMMON_WORDS or (listed and zipf_frequency(bare, "en") >= COMMON_ZIPF)


def is_very_common(word: str) -> bool:
    """A word so common ("still", "chance", "speed") that a capital at a sentence start is far
    more often the word than a person."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "en") >= VERY_COMMON_ZIPF


def needs_context(word: str) -> bool:
    """A name part that is also a word or an eponym: a person only with person context."""
    return is_common_word(word) or word.lower() in eponym_surnames()


def is_eponym_use(token: str, after: str) -> bool:
    """ "Speed's test", "Baker cyst": the name part names a sign or disease here."""
    return token.lower() in eponym_surnames() and (
        re.match(rf"(?:['’]s?)?[\s\u00a0]+{EPONYM_HEADS}\b", after, re.I) is not None
    )


def is_person_mention(
    token: str, before: str, after: str, title: bool, credentials: bool, used_as_word: bool
) -> bool:
    """Whether a name part that is also a word or an eponym, written as `token` between `before`
    and `after`, stands for the person. Lower case never does (the pattern asks for a capital);
    a title, credentials or a role word before it always do; an eponym followed by its head
    ("Still's disease") and a hyphenated compound ("High-Speed", "Still-present") never do.
    Elsewhere a capital in mid-sentence, and capitals, are a name. At a sentence start, where
    any word has a capital, it is the word only where the case writes the word in lower case
    too (`used_as_word`) and a comma or a lower-case word follows that is not what a person
    does ("Still, the pain"; not "Speed reported", "Speed was", "Speed's report", "Chance, 45")."""
    if title or credentials:
        return True
    if is_eponym_use(token, after):
        return False
    if token.islower():  # "still": the word, but for a person's context
        return _lower_case_mention(token, before, after)
    if re.match(r"[-‐‑][^\W\d_]", after) or re.search(r"[^\W\d_][-‐‑]$", before):
        return False
    if re.search(rf"\b{ROLE_WORDS},?[\s\u00a0]+$", before, re.I):
        return True
    if (token.isupper() and len(token) > 1) or not _SENTENCE_START.search(before):
        return True
    if not used_as_word:
        return True
    does = rf"(?:['’]s?)?,?[\s\u00a0]+(?:{ADVERBS}[\s\u00a0]+)?{PERSON_VERBS}\b"
    if re.match(does, after) or re.match(r"['’]s?(?!\w)|,[\s\u00a0]+\d", after):
        return True
    if re.match(
        rf",[\s\u00a0]+(?:the|his|her|their)[\s\u00a0]+(?:\w+[\s\u00a0]+)?{ROLE_WORDS}", after
    ):
        return True  # "Speed, the treating surgeon, wrote"
    return re.match(r",[\s\u00a0]+\S|[\s\u00a0]+[a-z]", after) is None


def _lower_case_mention(token: str, before: str, after: str) -> bool:
    """A name part written in lower case is a person where only a person fits: an eponym's
    surname that is no everyday word ("thomas"), or, for a word, a role word or "according to"
    before it, a possessive after it, or a parenthesis of a person's details after it (an
    address, a date of birth, a claim number: "smith (DOB ...")."""
    if not is_common_word(token):
        return True
    if re.search(rf"\b(?:{ROLE_WORDS}|according[\s\u00a0]+to),?[\s\u00a0]+$", before, re.I):
        return True
    # ("who still reports": a verb after a lower-case word says nothing)
    details = (
        r"[\s\u00a0]*\((?:DOB|D\.O\.B|date of birth|claim|SSN|tel|\d|" + re.escape(MARKER) + ")"
    )
    return re.match(rf"['’]s?(?!\w)|{details}", after) is not None


GAP = r"[\s\u00a0]+"


def person_pattern(name: str) -> str | None:
    """Every way of writing a person's name that carries the first name or an initial."""
    person = split_person(name)
    if not person.first or not person.surname:
        return None
    surname = GAP.join(_word(w) for w in person.surname)
    first = _word(person.first)
    middle_any = "|".join(
        f"{_capital(m)}\\.?" if len(m) == 1 else f"{_token(m)}|{_capital(m)}\\.?"
        for m in person.middles
    )
    middles = f"(?:(?:{middle_any}){GAP})*" if person.middles else ""
    letters = "".join(sorted({w[0].upper() for w in (person.first, *person.middles)}))
    initials = f"(?:(?-i:[{re.escape(letters)}])\\.?\\s*){{1,3}}"
    # an initial standing with the surname is part of the name: "Ricketts, J.", "Ricketts, J"
    one_initial = f"(?-i:[{re.escape(letters)}])(?:\\.|(?!\\w))"
    trailing = f"{one_initial}(?:\\s?{one_initial}){{0,2}}"
    forms = [
        f"{first}{GAP}{middles}(?:(?-i:[A-Z])\\.?{GAP})?{surname}",  # "Jordan M. Ricketts"
        f"{initials}(?<=[\\s.]){surname}",
        f"{surname},{GAP}{first}"
        + (f"(?:{GAP}(?:{middle_any})(?!\\w))*" if middle_any else "(?:\\s(?-i:[A-Z])\\.(?!\\w))?"),
        f"{surname},{GAP}{trailing}",
    ]
    dotted = _dotted_initials(person)
    if dotted:
        forms.append(dotted)
    body = "|".join(f"(?:{f})" for f in forms)
    return f"(?:{TITLE})?(?:{body}){CREDENTIALS}"


def initials_of(person: PersonName) -> str:
    """The capitals of a person's name ("JMR" for Jordan M. Ricketts), or "" where they are a
    credential ("M.D.", "D.O.") and so say nothing about the person."""
    words = [w for w in (person.first, *person.middles) if w]
    if not words or not person.surname:
        return ""
    letters = "".join(w[0].upper() for w in words) + person.surname[-1][0].upper()
    return "" if letters.lower() in DOTTED_CREDENTIALS else letters


def _dotted_initials(person: PersonName) -> str | None:
    """A person written as initials with full stops: "J.R.", "J. M. R." (case as written)."""
    letters = initials_of(person)
    if not letters:
        return None
    return "(?-i:" + r"\s?".join(f"{re.escape(c)}\\." for c in letters) + ")"


def _capital(word: str) -> str:
    """An initial: the capital letter only, so that "a Smith" is not read as "A. Smith"."""
    return f"(?-i:{re.escape(word[0].upper())})"


def org_pattern(name: str) -> str | None:
    words = name_words(name)
    if not words:
        return None
    full = r"[\s,.\-&]*".join(_token(w) for w in words)
    forms = [full]
    bare = list(words)
    while len(bare) > 1 and bare[-1].lower().rstrip(".") in {
        "inc", "incorporated", "llc", "llp", "lp", "ltd", "corp", "corporation", "co", "company",
    }:  # fmt: skip
        bare.pop()
    if len(bare) < len(words):
        forms.append(r"[\s,.\-&]*".join(_token(w) for w in bare))
    return "|".join(f"(?:{f}\\.?)" for f in forms)


# -- identifiers that no party field names --------------------------------------------------

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


# The free text of a case: what a writer of the letter typed. Everything else (the header, the
# organization, the reviewer's qualifications, guideline citations, the fixed wording a template
# puts around a request) is structure, printed as the guidelines and the form write it, and is
# never rewritten: an injured worker named Hand must not turn "Forearm, Wrist, and Hand
# Complaints" into something the guidelines never said.
FREE_TEXT = re.compile(
    r"summary\[\d+\]"
    r"|items\[\d+\]\.(?:request|rationale\[\d+\]|modification\.(?:original_request|authorized)"
    r"|(?:claims_administrator|reviewer)_basis\.text)"
)


def is_free_text(path: str) -> bool:
    """Whether the field at this path is free text (redacted) rather than structure (kept)."""
    return FREE_TEXT.fullmatch(path) is not None


def case_texts(case: Case) -> Iterator[tuple[str, str]]:
    """Every free text a letter prints, with its field path."""
    data = case.model_copy(update={"parties": None, "header": None})

    def walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, Enum):
            return
        if isinstance(value, str):
            if is_free_text(path):
                yield path, value
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                yield from walk(getattr(value, name), f"{path}.{name}" if path else name)
        elif isinstance(value, list):
            for index, element in enumerate(value):
                yield from walk(element, f"{path}[{index}]")

    yield from walk(data, "")


Replacement = Callable[[re.Match[str]], str]


class Redactor:
    """The patterns of one case under one policy, applied to any text."""

    def __init__(self, case: Case, policy: RedactionPolicy) -> None:
        self.policy = policy
        self.steps: list[tuple[re.Pattern[str], Replacement]] = []
        # the words the case writes in lower case: where a name part is used as a word
        self.lower_words = {
            w
            for _, text in case_texts(case)
            for w in re.findall(r"(?<![\w.@/-])[a-z]+(?![\w@/-]|\.\w)", text)
        }
        ids = policy.identifiers
        p = case.parties
        known = party_identifiers(p)
        # Labelled values first: the label tells what the value is, and stays.
        self._add(DOB_LABEL.pattern, self._value(ids.date_of_birth, "dobvalue"))
        self._add(SSN.pattern, self._ssn(ids.ssn))
        self._add(CLAIM_LABEL.pattern, self._value(ids.claim_number, "claimvalue", _claim_like))
        self._add(EMAIL.pattern, self._fixed(ids.email))
        emails = [k.value for k in known if k.kind == "email"]
        if emails:
            self._add("|".join(_loose(e) for e in emails), self._fixed(ids.email), re.I)
        addresses = sorted({k.value for k in known if k.kind == "address"}, key=len, reverse=True)
        streets = {line.split(",")[0] for line in addresses if re.search(r"\d", line.split(",")[0])}
        loose = [_loose(a) for a in [*addresses, *sorted(streets, key=len, reverse=True)]]
        if loose:
            self._add(r"(?<!\w)(?:" + "|".join(loose) + r")(?!\w)", self._fixed(ids.address), re.I)
        self._add(ADDRESS.pattern, self._fixed(ids.address))
        phones = [phone_digits(k.value) for k in known if k.kind == "phone"]
        phones = [d for d in phones if len(d) >= 7]
        if phones:
            self._add("|".join(phone_pattern(d) for d in phones), self._fixed(ids.phone), re.I)
        self._add(PHONE.pattern, self._fixed(ids.phone), re.I)
        claims = [k.value for k in known if k.kind == "claim-number"]
        if claims:
            self._add(
                r"(?<!\w)(?:" + "|".join(_loose(c) for c in claims) + r")(?!\w)",
                self._fixed(ids.claim_number),
                re.I,
            )
        self._add(CLAIM_LIKE.pattern, self._claim_like(ids.claim_number))
        if p is not None and p.employee is not None and p.employee.date_of_birth is not None:
            birth = p.employee.date_of_birth
            text = self._text_for(ids.date_of_birth)

            def birth_date(m: re.Match[str]) -> str:
                return text if text is not None and names_date(m.group(0), birth) else m.group(0)

            self._add(DATES.pattern, birth_date)
        self._add_names(parties_of(p))

    # each step is a pattern and what a match becomes
    def _add(self, pattern: str, replace: Replacement, flags: int = 0) -> None:
        self.steps.append((re.compile(pattern, flags), replace))

    def _text_for(self, rule: Rule) -> str | None:
        if rule.action is Action.KEEP:
            return None
        if rule.action is Action.REMOVE:
            return ""
        if rule.action is Action.REDACT:
            return self.policy.marker
        return rule.phrase or self.policy.marker

    def _fixed(self, rule: Rule) -> Replacement:
        text = self._text_for(rule)
        return lambda m: m.group(0) if text is None else text

    def _value(
        self, rule: Rule, group: str, accept: Callable[[str], bool] = lambda _: True
    ) -> Replacement:
        text = self._text_for(rule)

        def replace(m: re.Match[str]) -> str:
            if text is None or not accept(m.group(group)):
                return m.group(0)
            start = m.start(group) - m.start()
            return m.group(0)[:start] + text

        return replace

    def _ssn(self, rule: Rule) -> Replacement:
        text = self._text_for(rule)

        def replace(m: re.Match[str]) -> str:
            if text is None:
                return m.group(0)
            if m.group("ssnvalue"):
                return m.group(0)[: m.start("ssnvalue") - m.start()] + text
            return text

        return replace

    def _claim_like(self, rule: Rule) -> Replacement:
        text = self._text_for(rule)
        return lambda m: m.group(0) if text is None or not _claim_like(m.group(0)) else text

    def _add_names(self, parties: list[Party]) -> None:
        if not parties:
            return
        rules = self.policy.parties
        full_forms: list[tuple[str, Party]] = []
        roles_of: dict[str, set[str]] = {}
        token_patterns: dict[str, str] = {}
        for party in parties:
            pattern = person_pattern(party.name) if party.person else org_pattern(party.name)
            if pattern:
                full_forms.append((pattern, party))
            for token in searchable_tokens(party):
                key = _key(token)
                roles_of.setdefault(key, set()).add(party.role)
                token_patterns[key] = _word(token, lower=party.person)
        # name parts of people only: an organization's word is its name wherever it has a capital
        first_keys = {
            _key(person.first)
            for party in parties
            if party.person and (person := split_person(party.name)).first and person.surname
        }
        person_keys = {
            key
            for key, roles in roles_of.items()
            if not roles & {"employer", "claims_administrator", "law_firm"}
        }
        alternatives = [f"(?P<p{i}>{pattern})" for i, (pattern, _) in enumerate(full_forms)]
        ordered = sorted(token_patterns, key=len, reverse=True)
        tokens = "|".join(token_patterns[k] for k in ordered)
        alternatives.append(f"(?P<title>{TITLE})?(?P<tok>{tokens})(?P<cred>{CREDENTIALS})")
        pattern = r"(?<![\w@])(?:" + "|".join(alternatives) + r")" + POSSESSIVE + r"(?![\w@])"

        def replace(m: re.Match[str]) -> str:
            role: str | None = None
            for index, (_, party) in enumerate(full_forms):
                if m.group(f"p{index}") is not None:
                    role = party.role
                    break
            if role is None:
                token = m.group("tok")
                before, after = (
                    m.string[: m.start()],
                    m.string[m.end() - len(m.group("poss") or "") :],
                )
                if (
                    _key(token) in person_keys
                    and needs_context(token)
                    and not is_person_mention(
                        token,
                        before,
                        after,
                        bool(m.group("title")),
                        bool(m.group("cred")),
                        token.lower() in self.lower_words
                        or is_very_common(token)
                        or _key(token) in first_keys  # a first name alone is rarely the subject
                        or re.match(r"[\s\u00a0]+of\b", after) is not None,
                    )
                ):
                    return m.group(0)
                candidates = roles_of.get(_key(token), set())
                title = (m.group("title") or "").lower()
                if len(candidates) > 1 and title.startswith(("dr", "doctor")):
                    candidates = {r for r in candidates if r in PROVIDER_ROLES} or candidates
                role = next(iter(candidates)) if len(candidates) == 1 else None
            rule = getattr(rules, role) if role else Rule(action=Action.REDACT)
            text = self._text_for(rule)
            if text is None:
                return m.group(0)
            if rule.action is Action.PHRASE and _role_named(text, m.string[: m.start()]):
                text = DROPPED  # "Her attorney, Dawn Graves, wrote": the role is named already
            if text and m.group("poss"):
                text += "'s"
            # credentials at a sentence's end carry its full stop: "read by Anne Roe, M.D. The"
            if (
                text
                and m.group(0).endswith(".")
                and not text.endswith(".")
                and re.match(r"[\s\u00a0]+[A-Z\d\"“(]|[\s\u00a0]*$", m.string[m.end() :])
            ):
                text += "."
            if (
                text
                and rule.action is Action.PHRASE
                and _SENTENCE_START.search(m.string[: m.start()])
            ):
                text = text[0].upper() + text[1:]
            return text

        self._add(pattern, replace, re.I)

    def text(self, value: str) -> str:
        original = value
        for pattern, replace in self.steps:
            value = pattern.sub(replace, value)
        if value == original:
            return value
        # a mention dropped beside its role takes its commas of apposition with it
        value = re.sub(rf",[\s\u00a0]*{DROPPED},(?=\s)|[\s\u00a0]*{DROPPED}", "", value)
        return _tidy(value, self.policy)


DROPPED = "\u2060"  # a mention left out because the role beside it names it already


def _role_named(phrase: str, before: str) -> bool:
    """Whether the words just before a mention already name the role the phrase would name:
    "Her attorney" before "the attorney", "the treating provider," before "the treating
    provider"."""
    last = re.escape(phrase.split()[-1])
    return re.search(rf"\b{last},?[\s\u00a0]+$", before, re.I) is not None


def _key(token: str) -> str:
    return re.sub(r"[^a-z]", "", token.lower())


def _tidy(text: str, policy: RedactionPolicy) -> str:
    """Mend what replacement leaves: doubled phrases, empty parentheses, stray spaces."""
    phrases = {
        r.phrase
        for r in [*policy.parties.__dict__.values(), *policy.identifiers.__dict__.values()]
        if r.action is Action.PHRASE and r.phrase
    } | {policy.marker}
    for phrase in sorted(phrases, key=len, reverse=True):
        escaped = re.escape(phrase)
        text = re.sub(rf"({escaped})(?:,?\s+{escaped})+", r"\1", text, flags=re.I)
    text = re.sub(r"\b(the)\s+the\b", r"\1", text, flags=re.I)
    text = re.sub(r"\(\s*[,;]?\s*\)", "", text)
    text = re.sub(r"\s+([,.;:)])", r"\1", text)
    text = re.sub(r"([(])\s+", r"\1", text)
    text = re.sub(r"([,;])(?:\s*[,;])+", r"\1", text)
    return " ".join(text.split())


def redact(case: Case, policy: RedactionPolicy | None = None) -> Case:
    """The public version of a case: no parties, and no identifier in any text it prints."""
    policy = policy or default_policy()
    redactor = Redactor(case, policy)

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, str):
            return (redactor.text(value) or policy.marker) if is_free_text(path) else value
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, BaseModel) and not isinstance(value, Enum):
            return value.model_copy(
                update={
                    name: walk(getattr(value, name), f"{path}.{name}" if path else name)
                    for name in type(value).model_fields
                }
            )
        return value

    public = case.model_copy(update={"parties": None})
    updates = {
        name: walk(getattr(public, name), name)
        for name in type(public).model_fields
        if name not in ("header", "parties", "edition")
    }
    # Validate afresh: a text a policy emptied must still make a valid case.
    data = public.model_copy(update=updates).model_dump(mode="python")
    return Case.model_validate(data)
