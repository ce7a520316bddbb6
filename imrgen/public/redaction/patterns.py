"""When a name part is a name: everyday words, medical eponyms and a person's mentions, and the
patterns that find person and organization names in text."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from .names import (
    _SENTENCE_START,
    COMMON_WORDS,
    CREDENTIALS,
    DOTTED_CREDENTIALS,
    TITLE,
    PersonName,
    name_words,
    split_person,
)
from .policy import (
    MARKER,
)

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
    """The surnames of the medical eponyms shipped in imrgen/public/policies/eponyms.txt."""
    text = (resources.files("imrgen.public") / "policies" / "eponyms.txt").read_text(
        encoding="utf-8"
    )
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
