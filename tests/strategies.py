"""Hypothesis strategies for cases a drafter could write: realistic vocabulary from the letters,
plus the characters that try escaping in every format."""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

import imrgen

WORDS = st.sampled_from(
    "the patient injured worker reported low back pain with radiation to right leg MRI of"
    " lumbar spine physical therapy sessions request is not medically necessary Norco 10/325mg"
    " #60 TENS unit 4-lead 45-year-old 10-28-2016 01/06/2017 (ODG) ACOEM 8/10 50% & < > *"
    " _ ` [ ] | ~ # \\ {{ }} {% %} <script>alert(1)</script> &amp; &lt; naïve “quoted” ’s"
    " a.m. e.g. Dr. No. 3 - -- + = 1. 2) ; , : ' \" ? !".split(" ")
)
PUNCT_END = st.sampled_from(["", ".", ",", ";", ")", "?", "!"])


@st.composite
def sentence(draw: st.DrawFn, min_words: int = 1, max_words: int = 14) -> str:
    tokens = draw(st.lists(WORDS, min_size=min_words, max_size=max_words))
    text = " ".join(tokens) + draw(PUNCT_END)
    return text


def _clean(text: str) -> str:
    return " ".join(text.split())


TEXT = sentence().map(_clean).filter(bool)
# A heading's request must not end in ':' (that is where the decision follows).
REQUEST = TEXT.filter(lambda t: not t.endswith(":"))
# A reviewer quoting an earlier review opens a paragraph with one of the letter's own labels.
QUOTED_LABEL = st.sampled_from(
    ["Claims Administrator guideline:", "Decision rationale:", "MAXIMUS guideline:"]
)
PARAGRAPH = st.one_of(TEXT, st.tuples(QUOTED_LABEL, TEXT).map(" ".join), QUOTED_LABEL)

ORGANIZATION_NAMES = st.sampled_from(
    [
        "MAXIMUS Federal Services",
        "Pacific Independent Review, Inc.",
        "Review Organization No. 2",
        "St. Mary's Medical Review & Co.",
    ]
)
# The reviewer's label prints the short name before " guideline:"; a short name is a name, not
# a label of the letter's own, and holds no colon (the Spanish label ends at one).
SHORT_NAMES = st.one_of(
    st.sampled_from(["MAXIMUS", "Pacific Review", "Org. No. 2", "St. Mary's"]),
    TEXT.filter(lambda t: ":" not in t and "guideline" not in t and t != "Claims Administrator"),
)


@st.composite
def organization(draw: st.DrawFn) -> imrgen.Organization:
    return imrgen.Organization(
        name=draw(st.one_of(ORGANIZATION_NAMES, TEXT)), short_name=draw(SHORT_NAMES)
    )


MTUS_PARTS = st.sampled_from(
    [
        "Chronic Pain Medical Treatment",
        "Low Back Complaints",
        "Neck and Upper Back Complaints",
        "Forearm, Wrist, and Hand Complaints",
        "Opioid Treatment",
        "Shoulder Complaints",
    ]
)
SECTIONS = st.sampled_from(
    [
        "Special Studies",
        "Physical medicine treatment",
        "Muscle relaxants (for pain)",
        "TENS, chronic pain (transcutaneous electrical nerve stimulation)",
        "Ultrasound, therapeutic",
        "Cyclobenzaprine (Flexeril)",
        "Initial Care",
        "Summary",
        "Office visits",
    ]
)
NUMBERED_SECTIONS = st.sampled_from(
    [
        "1.4 Opioids for Acute Pain: Opioids for Post-operative Pain",
        "3.3.9 Opioids for Chronic Pain and Chronic Opioid Treatment: Maintenance of Chronic Opioid"
        " Treatment",
        "3.3.1.2 Opioids for Chronic Pain and Chronic Opioid Treatment: Screening for Risk of"
        " Addiction or Adverse Events, Prior to Chronic Opioid Treatment: Screening for Alcohol"
        " Misuse/Abuse",
    ]
)


@st.composite
def mtus_citation(draw: st.DrawFn) -> imrgen.MtusCitation:
    if draw(st.booleans()):  # 2016 form
        sections = draw(
            st.one_of(
                st.lists(SECTIONS, max_size=3, unique=True),
                st.lists(NUMBERED_SECTIONS, min_size=1, max_size=2, unique=True),
            )
        )
        return imrgen.MtusCitation(
            part=draw(MTUS_PARTS),
            year=draw(st.sampled_from([2004, 2007, 2009, 2016])),
            sections=sections,
        )
    pages = draw(st.one_of(st.none(), st.sampled_from(["339", "111", "303, 309"])))
    return imrgen.MtusCitation(
        part=draw(
            st.sampled_from(
                [
                    "Chronic Pain Treatment Guidelines Topical analgesics",
                    "ACOEM Chapter 12 Low Back Complaints",
                ]
            )
        ),
        pages=pages,
    )


@st.composite
def basis(draw: st.DrawFn) -> imrgen.GuidelineBasis:
    statement = draw(st.one_of(st.none(), st.sampled_from(list(imrgen.Statement))))
    if statement is imrgen.Statement.NO_EVIDENCE:
        return imrgen.GuidelineBasis(statement=statement)
    mtus = draw(st.lists(mtus_citation(), max_size=2))
    if len(mtus) > 1:
        mtus = [c for c in mtus if c.year is not None]
    non_mtus = draw(st.one_of(st.none(), TEXT))
    if statement is None and not mtus and non_mtus is None:
        non_mtus = "Official Disability Guidelines (ODG)"
    # Some published letters print no full stop after the citation (one ending in a full stop
    # of its own prints one anyway).
    full_stop = draw(st.booleans()) if non_mtus and not non_mtus.endswith(".") else True
    return imrgen.GuidelineBasis(
        statement=statement, mtus=mtus, non_mtus=non_mtus, non_mtus_full_stop=full_stop
    )


@st.composite
def item(draw: st.DrawFn) -> imrgen.DisputedItem:
    modification = None
    if draw(st.booleans()):
        modification = imrgen.Modification(
            original_request=draw(REQUEST),
            authorized=draw(REQUEST),
            eligible=draw(st.sampled_from(list(imrgen.Eligible))),
        )
    return imrgen.DisputedItem(
        request=draw(REQUEST),
        modification=modification,
        decision=draw(st.sampled_from(list(imrgen.Decision))),
        claims_administrator_basis=draw(basis()),
        reviewer_basis=draw(basis()),
        rationale=draw(st.lists(PARAGRAPH, min_size=1, max_size=3)),
    )


DATES = st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)))


@st.composite
def case(draw: st.DrawFn) -> imrgen.Case:
    edition = draw(st.sampled_from(list(imrgen.Edition)))
    header = imrgen.Header(
        case_number=draw(st.one_of(st.none(), st.from_regex(r"CM1[4-9]-[0-9]{7}", fullmatch=True))),
        date_assigned=draw(DATES),
        date_of_injury=draw(DATES),
        decision_date=draw(DATES),
        ur_denial_date=draw(DATES),
        priority=draw(st.one_of(st.none(), st.sampled_from(list(imrgen.Priority)))),
        application_received=draw(DATES),
    )
    specialty = draw(
        st.one_of(
            st.none(),
            st.sampled_from(
                [
                    "Family Practice",
                    "Physical Medicine & Rehabilitation, Pain Management",
                    "Orthopedic Surgery",
                ]
            ),
        )
    )
    licensure = draw(
        st.one_of(
            st.none(),
            st.sampled_from(
                ["California", "California, Oregon, Washington", "Texas,Illinois"]
                if edition == "2015"
                else ["California", "California and Virginia"]
            ),
        )
    )
    subspecialty = None
    if edition == "2014" and specialty:
        subspecialty = draw(st.one_of(st.none(), st.just("Pain Medicine")))
    return imrgen.Case(
        edition=edition,
        organization=draw(organization()),
        header=header,
        reviewer=imrgen.Reviewer(
            specialty=specialty, subspecialty=subspecialty, licensure=licensure
        ),
        summary=draw(st.lists(PARAGRAPH, min_size=1, max_size=3)),
        items=draw(st.lists(item(), min_size=1, max_size=4)),
        page_breaks_before=draw(st.lists(st.sampled_from(list(imrgen.Section)), max_size=2)),
    )
