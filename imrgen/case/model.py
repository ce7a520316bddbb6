"""The case model: what an IMR determination letter says, as data. No I/O here."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

CASE_NUMBER_PATTERN = r"^CM[0-9]{2}-[0-9]{7}$"


# Characters that XML 1.0 (so DOCX, XMP, HTML) cannot carry: C0 controls but tab and line
# breaks, surrogates, and the non-characters U+FFFE and U+FFFF; and the soft hyphen, which a
# printed letter never shows, so no reader could give it back.
# (U+E000 to U+E002 are the readers' tokens for a typed line break, a printed space beyond one
# and a page break: see TYPED_BREAK.)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\xad\ud800-\udfff\ue000-\ue002\ufffe\uffff]")


def normalize_space(value: str) -> str:
    """Collapse runs of white space: a letter's text is words, and wrapping is the writer's job.
    Characters no letter file can carry are dropped."""
    return " ".join(_NOT_XML.sub("", value).split())


def _not_blank(value: str) -> str:
    # min_length alone sees the text before normalize_space: "  " would pass it and become "".
    if not value:
        raise ValueError("expected text, got only white space")
    return value


Text = Annotated[
    str, AfterValidator(normalize_space), AfterValidator(_not_blank), Field(min_length=1)
]


# Where a reader found a line break typed into a paragraph, it hands the break to the parser as
# this token (a private-use character, white space around it): it survives the parser's
# collapsing of white space, and the case records it as "\n". No letter can carry it itself.
TYPED_BREAK = "\ue000"
# And each space a letter prints beyond one between two words (a double space after a full
# stop), glued to the word before it: the case records the run of spaces.
EXTRA_SPACE = "\ue001"
# And a page break that the letter has where its layout would not have made one (a heading
# that starts a page although the page before had room for it): a paragraph of its own, right
# before the heading; the case records the section that starts a page (Case.page_breaks_before).
PAGE_BREAK = "\ue002"

_SPACES = re.compile(r" {2,}")
_OTHER_SPACE = re.compile(r"\s+")


def normalize_paragraph(value: str) -> str:
    """A paragraph's text as normalize_space makes it, but for what a published letter prints
    that way so that it is printed again line for line: the line breaks typed into it (a line
    that ends although the next word would have fitted), each kept as one "\n", and runs of
    plain spaces (a double space after a full stop), kept as they are. Other white space, and
    white space around a line break, is one space or none, as everywhere."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace(TYPED_BREAK, "\n")
    value = _NOT_XML.sub("", value.replace(EXTRA_SPACE, " "))
    lines = []
    for line in value.split("\n"):
        line = line.strip()
        if line:
            # Runs of plain spaces stay; any other run of white space is one space.
            lines.append(_OTHER_SPACE.sub(lambda m: m[0] if _SPACES.fullmatch(m[0]) else " ", line))
    return "\n".join(lines)


def mark_spaces(line: str) -> str:
    """One printed line as the readers hand it to the parser: each run of n > 1 spaces (plain
    ones, or imrgen's "\u00a0" * (n - 1) + " ", see the `lines` filter) as n - 1 EXTRA_SPACE
    marks and a space; non-breaking spaces that end the line (the line broke at the plain space
    after them) count as well. A single non-breaking space is one space."""
    line = re.sub(r"\u00a0+$", lambda m: EXTRA_SPACE * len(m[0]) + " ", line)
    return re.sub(r"[ \u00a0]{2,}", lambda m: EXTRA_SPACE * (len(m[0]) - 1) + " ", line)


ParagraphText = Annotated[
    str, AfterValidator(normalize_paragraph), AfterValidator(_not_blank), Field(min_length=1)
]
Paragraphs = Annotated[list[ParagraphText], Field(min_length=1)]


class Edition(StrEnum):
    """The wording a letter follows; each edition is a template family."""

    E2014 = "2014"  # qualifications inside the paragraph; "disputed items/services"
    E2015 = "2015"  # credentials block; "disputed items/Service"; 2016-2017 letters too


class Decision(StrEnum):
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class Priority(StrEnum):
    STANDARD = "standard"
    EXPEDITED = "expedited"


class Statement(StrEnum):
    """The sentence a guideline basis may open with."""

    NO_EVIDENCE = "no-evidence"  # "... did not cite any medical evidence for its decision."
    NOT_MTUS = "not-mtus"  # "... did not base their decision on the MTUS."
    OUTSIDE_MTUS = "outside-mtus"  # "... based their decision on recommendation(s) outside of ..."


class Section(StrEnum):
    """The sections of a letter after its first page's, in order: each may start a new page."""

    SUMMARY = "summary"  # "CLINICAL CASE SUMMARY"
    ISSUES = "issues"  # "IMR ISSUES, DECISIONS AND RATIONALES"


def _in_order(sections: list[Section]) -> list[Section]:
    """Each section once, in the letter's order: the same breaks are the same case."""
    return [s for s in Section if s in sections]


class _Model(BaseModel):
    # Validated on assignment, so a case changed in code is as valid as one loaded from a file.
    model_config = ConfigDict(
        extra="forbid", frozen=False, validate_assignment=True, use_enum_values=False
    )

    def __setattr__(self, name: str, value: Any) -> None:
        # pydantic runs a model's own validators after the value is in place, so a refused
        # assignment would otherwise leave the refused value behind.
        before = self.__dict__.get(name, _UNSET)
        try:
            super().__setattr__(name, value)
        except ValidationError:
            if before is not _UNSET:
                self.__dict__[name] = before
            raise


_UNSET = object()


class Header(_Model):
    """The case header; every field is optional because older published letters lost it."""

    case_number: Annotated[str, Field(pattern=CASE_NUMBER_PATTERN)] | None = None
    date_assigned: date | None = None
    date_of_injury: date | None = None
    decision_date: date | None = None
    ur_denial_date: date | None = None
    priority: Priority | None = None
    application_received: date | None = None
    records_received: date | None = Field(
        default=None,
        description="When the review organization received the medical records (drafting only;"
        " the letter does not print it).",
    )


class Organization(_Model):
    name: Text = "MAXIMUS Federal Services"
    short_name: Text = Field(default="MAXIMUS", description='As in "MAXIMUS guideline".')


class Reviewer(_Model):
    """The expert reviewer's qualifications; never the name (that is a party, and confidential)."""

    specialty: Text | None = Field(
        default=None,
        description='2014: "Board Certified in ..."; 2015: "Certification(s)/Specialty: ...".',
    )
    subspecialty: Text | None = Field(
        default=None, description='2014 only: "has a subspecialty in ...".'
    )
    licensure: Text | None = Field(
        default=None,
        description='As printed: "California, Oregon" (2015) or "California and Virginia" (2014).',
    )

    @property
    def states(self) -> list[str]:
        """The licensure as a list of states, whichever way the letter wrote it."""
        if not self.licensure:
            return []
        return [s.strip() for s in re.split(r",|\band\b", self.licensure) if s.strip()]


class MtusCitation(_Model):
    """One part of the California Medical Treatment Utilization Schedule."""

    part: Text = Field(description='"Chronic Pain Medical Treatment", "Low Back Complaints" ...')
    year: Annotated[int, Field(ge=1990, le=2099)] | None = None
    sections: list[Text] = Field(default_factory=list)
    pages: Text | None = Field(default=None, description='2014 form: "Page(s): 339".')

    @model_validator(mode="after")
    def _sections_need_year(self) -> MtusCitation:
        if self.sections and self.year is None:
            raise ValueError("sections are printed after the edition year; give a year")
        return self


class GuidelineBasis(_Model):
    """What a decision was based on: a statement, MTUS citations, a non-MTUS citation."""

    statement: Statement | None = None
    mtus: list[MtusCitation] = Field(default_factory=list)
    non_mtus: Text | None = Field(default=None, description="The non-MTUS citation as printed.")
    non_mtus_full_stop: bool = Field(
        default=True,
        description="False where the letter prints no full stop after the non-MTUS citation"
        " (some published letters), so that the letter is printed again as it was.",
    )
    text: Text | None = Field(
        default=None,
        description="A basis in none of the letters' known forms, printed as written (a letter"
        " read back keeps it rather than failing); stands alone.",
    )

    @model_validator(mode="after")
    def _no_evidence_means_no_citation(self) -> GuidelineBasis:
        if self.text and (self.statement or self.mtus or self.non_mtus):
            raise ValueError("'text' stands alone: use it only for a basis in no known form")
        if self.statement is Statement.NO_EVIDENCE and (self.mtus or self.non_mtus):
            raise ValueError("'no-evidence' cannot stand beside citations")
        if not self.non_mtus_full_stop and (self.non_mtus or "").endswith("."):
            raise ValueError(
                "non_mtus_full_stop is false, but non_mtus ends in a full stop: leave it out of"
                " the citation"
            )
        if len(self.mtus) > 1 and any(c.year is None for c in self.mtus):
            raise ValueError(
                "an MTUS citation without a year (the 2014 form) stands alone: write the parts"
                " as one citation, or give every citation its year"
            )
        return self

    @property
    def is_empty(self) -> bool:
        return self.statement is None and not self.mtus and not self.non_mtus and not self.text


class Eligible(StrEnum):
    """What stayed IMR eligible after utilization review modified a request."""

    REMAINING_PORTION = "remaining-portion"  # "The remaining IMR eligible portion of ..., X is:"
    ORIGINAL_REQUEST = "original-request"  # "... leaving the original request IMR eligible."


class Modification(_Model):
    """Utilization review authorized part of a request; the rest (or all of it) went to IMR."""

    original_request: Text
    authorized: Text
    eligible: Eligible = Eligible.REMAINING_PORTION


class DisputedItem(_Model):
    request: Text = Field(description="The service in dispute, as the letter names it.")
    modification: Modification | None = None
    decision: Decision
    claims_administrator_basis: GuidelineBasis = Field(default_factory=GuidelineBasis)
    reviewer_basis: GuidelineBasis = Field(default_factory=GuidelineBasis)
    rationale: Paragraphs


def normalize_address(value: str) -> str:
    """An address keeps its lines; within a line, white space is collapsed and characters no
    letter file can carry are dropped, as in every other text field."""
    lines = (" ".join(line.split()) for line in _NOT_XML.sub("", value).splitlines())
    return "\n".join(line for line in lines if line)


Address = Annotated[
    str,
    AfterValidator(normalize_address),
    AfterValidator(_not_blank),
    Field(min_length=1),
]


class Employee(_Model):
    name: Text | None = None
    address: Address | None = None
    date_of_birth: date | None = None
    claim_number: Text | None = None
    phone: Text | None = None
    email: Text | None = None


class Employer(_Model):
    name: Text | None = None
    address: Address | None = None


class ClaimsAdministrator(_Model):
    name: Text | None = None
    address: Address | None = None
    phone: Text | None = None


class RequestingProvider(_Model):
    name: Text | None = None
    specialty: Text | None = None
    address: Address | None = None
    phone: Text | None = None


class Attorney(_Model):
    name: Text | None = None
    firm: Text | None = None
    address: Address | None = None


class OtherProvider(_Model):
    name: Text | None = None
    specialty: Text | None = None


class ReviewerIdentity(_Model):
    name: Text | None = Field(default=None, description="Confidential by law; never printed.")


class Parties(_Model):
    """The people and organizations of a full letter. The public letter carries none of them."""

    employee: Employee | None = None
    employer: Employer | None = None
    claims_administrator: ClaimsAdministrator | None = None
    requesting_provider: RequestingProvider | None = None
    attorney: Attorney | None = None
    other_providers: list[OtherProvider] = Field(default_factory=list)
    reviewer: ReviewerIdentity | None = None


class Case(_Model):
    """One IMR final determination."""

    edition: Annotated[
        Edition,
        BeforeValidator(lambda v: str(v) if isinstance(v, int) else v),
        # A year written unquoted in YAML is a number; editors should accept it too.
        WithJsonSchema(
            {
                "title": "Edition",
                "description": "The wording the letter follows.",
                "enum": ["2014", "2015", 2014, 2015],
            }
        ),
    ] = Edition.E2015
    organization: Organization = Field(default_factory=Organization)
    header: Header = Field(default_factory=Header)
    reviewer: Reviewer = Field(default_factory=Reviewer)
    summary: Paragraphs
    items: Annotated[list[DisputedItem], Field(min_length=1)]
    parties: Parties | None = None
    page_breaks_before: Annotated[list[Section], AfterValidator(_in_order)] = Field(
        default_factory=list,
        description="The sections whose heading starts a new page, as a letter may have it"
        " (a page break typed before the heading, or Word keeping the heading with the next"
        " paragraph); the layout breaks every other page itself.",
    )

    @model_validator(mode="after")
    def _edition_fits_reviewer(self) -> Case:
        if self.edition is Edition.E2015 and self.reviewer.subspecialty:
            raise ValueError(
                "reviewer.subspecialty: the 2015 edition prints no subspecialty;"
                " name it in reviewer.specialty"
            )
        return self

    @property
    def stem(self) -> str:
        """A file name stem that carries no personal identifier."""
        return self.header.case_number or "letter"
