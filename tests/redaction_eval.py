"""A labeled evaluation set for redaction precision (issue 16): full cases built from real
letters whose parties have names that are also English words or medical eponyms, with every
mention of a person labeled "go" and the same words used as words labeled "stay".

Markup in the sentences: {go:FORM|text} is a person mention that must be taken out,
{stay:FORM|text} a word (or eponym) that must be kept as written. FORM names the way it is
written, and the figures are reported per form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import imrgen

PARTIES: dict[str, Any] = {
    "employee": {"name": "Iris Chance", "date_of_birth": "1971-05-09"},
    "requesting_provider": {"name": "Cliff Speed, M.D.", "specialty": "Orthopedic Surgery"},
    "attorney": {"name": "Dawn Graves", "firm": "Okonkwo Ferreira LLP"},
    "other_providers": [
        {"name": "Glen Baker", "specialty": "Physical Therapy"},
        {"name": "Patrick Still, D.O.", "specialty": "Radiology"},
    ],
    "reviewer": {"name": "Robin Jones"},
}

# Sentences woven into the summaries (S) and the rationales (R) of the letters.
SUMMARY = [
    "{go:full|Iris Chance} is a 45 year old who {stay:lower|still} reports pain in the right knee.",
    "{go:sentence-start|Chance}, 45, sustained a {stay:eponym|Chance fracture} of L1 in a fall.",
    "The {stay:lower|chance} of improvement was judged low by {go:title|Dr. Speed}.",
    "{stay:sentence-start|Still}, {go:title|Ms. Chance} continued to work.",
    "{go:possessive|Chance's} knee showed a {stay:eponym-possessive|Baker's cyst} on imaging.",
    "{go:full|Glen Baker}, PT, measured her walking {stay:lower|speed} at each visit.",
    "She had worked as a {stay:lower|baker} for nine years before the injury.",
    "Her attorney, {go:role|Dawn Graves}, wrote that the claim was {stay:lower|still} open.",
    "{go:sentence-start|Graves} wrote again on 03/02/2016.",
    "{go:possessive|Graves'} letter asked for an expedited review.",
    "{stay:eponym-possessive|Graves' disease} was ruled out by "
    "{go:credentials|Patrick Still, D.O.}",
    "The MRI was read by {go:credentials|Patrick Still, D.O.} The study was otherwise normal.",
    "{go:title|Dr. Still} found no {stay:eponym-possessive|Still's disease} and no effusion.",
    "{go:capitals|IRIS CHANCE} was injured in a {stay:lower|high-speed} collision at "
    "{stay:lower|dawn}.",
    "{go:surname-initial|CHANCE, I.} was seen on 01/06/2016 by {go:initials|C. Speed}.",
    "{go:split|Cliff Spe- ed} examined the knee; {stay:eponym-possessive|Speed's test} was "
    "negative.",
    "{stay:sentence-start|Speed} of recovery was slower than expected.",
    "{go:sentence-start|Speed} reported a positive {stay:eponym|Patrick test} on the right.",
    "{stay:eponym-possessive|Patrick's test} was negative on the left per {go:mid-sentence|Baker}.",
    "She fell from a {stay:lower|cliff} while hiking and reported no {stay:lower|chance} to rest.",
    "The {stay:lower|iris} and pupil were normal on examination.",
    "{stay:sentence-start|Iris} examination showed no injury.",
    "The patient, {go:role|Chance}, had {stay:hyphenated|Still-present} symptoms at follow-up.",
    "{go:mid-sentence|Chance} was referred to {go:mid-sentence|Still} for imaging.",
    "{go:initials|I. Chance} and {go:title|Mr. Baker} attended the visit together.",
    "{stay:sentence-start|Chance} alone does not explain the findings.",
    "{go:title|Mrs. Chance}, as before, declined injections.",
    "{go:capitals|SPEED}, C. and {go:title|Dr. Patrick Still} signed the notes.",
    "A {stay:eponym|Jones fracture} of the fifth metatarsal was excluded by {go:title|Dr. Jones}.",
]
RATIONALE = [
    "{go:title|Dr. Speed} requested this for {go:mid-sentence|Chance}.",
    "{go:title|Dr. Still}, in turn, confirmed the findings.",
    "{go:possessive|Speed's} notes describe a {stay:eponym|Baker cyst} and a {stay:lower|still} "
    "swollen knee.",
    "{stay:sentence-start|Still}, the guidelines do not support the request.",
    "{go:surname-initial|Speed, C.} documented a {stay:eponym|Speed test} and "
    "{stay:hyphenated|Speed-dependent} weakness.",
    "Attorney {go:role|Graves} disputed the denial.",
    "{go:split|Dawn Gra- ves} argued that {go:possessive|Chance's} work {stay:lower|speed} fell.",
    "{go:credentials|Cliff Speed, M.D.} wrote the request.",
    "{go:sentence-start|Baker} noted reduced {stay:lower|speed} of gait.",
    "{stay:eponym|Graves disease} is not part of this claim.",
    "The request was reviewed against the notes of {go:surname-initial|STILL, P.}",
    "{go:full|Cliff Speed} and {go:full|Dawn Graves} spoke on 02/11/2016.",
    "By {stay:lower|chance}, the {stay:eponym|Chance fracture} had healed by then.",
]

_MARK = re.compile(r"\{(go|stay):([\w-]+)\|([^}]*)\}")
BASES = 4  # real letters the set is built from


@dataclass(frozen=True)
class Span:
    label: str  # "go" or "stay"
    form: str
    text: str
    path: str  # the field the sentence was woven into
    start: int  # character offsets in that field's text
    end: int


def plain(sentence: str) -> tuple[str, list[tuple[str, str, int, int]]]:
    """The sentence without markup, and its spans (label, form, start, end)."""
    out, spans, position = "", [], 0
    for match in _MARK.finditer(sentence):
        out += sentence[position : match.start()]
        start = len(out)
        out += match.group(3)
        spans.append((match.group(1), match.group(2), start, len(out)))
        position = match.end()
    return out + sentence[position:], spans


def eval_cases(letters: list[Path]) -> list[tuple[imrgen.Case, list[Span]]]:
    """Full cases: each real letter's text, the parties above, the labeled sentences woven in
    (a quarter of them per letter, in turn, so every sentence stands in some case)."""
    built = []
    for index, letter in enumerate(letters[:BASES]):
        base = imrgen.parse(letter)
        data = base.model_dump(mode="json")
        data["parties"] = PARTIES
        spans: list[Span] = []

        def weave(text: str, sentences: list[str], path: str, spans: list[Span] = spans) -> str:
            for sentence in sentences:
                clean, marks = plain(sentence)
                text = f"{text} " if text else ""
                offset = len(text)
                text += clean
                spans.extend(
                    Span(label, form, clean[s:e], path, offset + s, offset + e)
                    for label, form, s, e in marks
                )
            return text

        summary = SUMMARY[index::BASES] + SUMMARY[(index + 1) % BASES :: BASES]
        rationale = RATIONALE[index::BASES] + RATIONALE[(index + 1) % BASES :: BASES]
        data["summary"][0] = weave(data["summary"][0], summary, "summary[0]")
        first = data["items"][0]
        first["rationale"][-1] = weave(first["rationale"][-1], rationale, "items[0].rationale[-1]")
        built.append((imrgen.Case.model_validate(data), spans))
    return built
