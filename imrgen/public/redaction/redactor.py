"""The redactor: one case's patterns under one policy, applied to every free text the letter
prints, and tidying what is left; redact() is the entry point."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum
from typing import Any

from pydantic import BaseModel

from ...case.model import Case
from .identifiers import (
    ADDRESS,
    CLAIM_LABEL,
    CLAIM_LIKE,
    DATES,
    DOB_LABEL,
    EMAIL,
    PHONE,
    SSN,
    _claim_like,
    _loose,
    names_date,
    party_identifiers,
    phone_digits,
    phone_pattern,
)
from .names import (
    _SENTENCE_START,
    CREDENTIALS,
    POSSESSIVE,
    PROVIDER_ROLES,
    TITLE,
    Party,
    parties_of,
    searchable_tokens,
    split_person,
)
from .patterns import (
    _word,
    is_person_mention,
    is_very_common,
    needs_context,
    org_pattern,
    person_pattern,
)
from .policy import (
    Action,
    RedactionPolicy,
    Rule,
    default_policy,
)
from .texts import case_texts, is_free_text

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
