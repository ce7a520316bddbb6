"""Build the full synthetic cases in tests/cases/full from the real letters: parties with made-up
names, addresses, phones, e-mails and claim numbers, woven into the summary and rationales in
every form people write them. Seeded: the same run writes the same files.

    python tests/make_full_cases.py            # writes tests/cases/full/*.yaml and manifest.yaml
"""

from __future__ import annotations

import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import imrgen  # noqa: E402
from imrgen.case.loading import dump_case  # noqa: E402
from imrgen.case.model import Case, Parties  # noqa: E402

OUT = HERE / "cases" / "full"
COUNT = 36
SEED = 20261122

FIRST = (
    "Marisol Dmitri Priya Harriet Oluwaseun Thaddeus Ingrid Evangelina Bartholomew Xiomara"
    " Leopold Svetlana Cornelius Anneliese Guadalupe Ignatius Kwabena Lucinda Nkechi Octavia"
    " Percival Quentin Rasmus Solveig Tobias Ulrike Valentina Wendell Yolanda Zebulon Benedikt"
    " Cassius Dagny Esperanza Florentino Gwendolyn Hyacinth Isidoro Jolanta Kasimir"
).split()
SURNAMES = (
    "Quintanilla Okafor Brookhaven Venkataraman Castellanos Oyelaran Whitcombe Kowalczyk"
    " Abernathy Fairweather Delacroix Szymanski Thorvaldsen Villanueva Wojciechowski Yamamoto"
    " Zielinski Achterberg Balasubramanian Chukwuemeka Dunleavy Esterhazy Gallagher Haverford"
    " Iwasaki Jorgensen Kaczmarek Lindqvist Nwachukwu Ostrowski Pemberton Quarrington Rasmussen"
    " Stavropoulos Trevelyan Vandermeer Weatherby Xanthopoulos Yarborough Zamorano Fonseca"
).split()
COINED = (
    "Brightwater Kestrelwood Harrowgate Amberfield Copperline Ravenhurst Silverpine Thornbury"
    " Marrowdale Pinecrest Windhaven Oakhollow Fernvale Bluestem Cinderfield Duskwater Elmstead"
    " Foxmoor Tidewell Quillmark Larkmoor Glenbrook Hollisford Saltmarsh Wrenfield"
).split()
STREETS = (
    "Larkspur Hollow|Quailrun|Juniper Crest|Manzanita|Sycamore Bend|Tamarack|Calloway"
    "|Belvedere|Wistaria|Ridgemont|Ashcombe|Bellflower Meadow"
).split("|")
SUFFIXES = ["Road", "Ave", "Avenue", "Blvd", "Street", "St.", "Drive", "Lane", "Way", "Court"]
CITIES = [
    ("Fresno", "937"), ("Modesto", "953"), ("Bakersfield", "933"), ("Stockton", "952"),
    ("Visalia", "932"), ("Oxnard", "930"), ("Salinas", "939"), ("Redding", "960"),
]  # fmt: skip
SPECIALTIES = ["Orthopedic Surgery", "Physical Medicine & Rehabilitation", "Pain Medicine"]


def pick_unused(rng: random.Random, pool: list[str], used: set[str]) -> str:
    choices = [p for p in pool if p not in used]
    value = rng.choice(choices)
    used.add(value)
    return value


def phone_forms(digits: str) -> list[str]:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return [
        f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"{a} {b} {c}", f"+1 {a} {b} {c}",
        f"1-{a}-{b}-{c}", f"{a}{b}{c}", f"({a}){b}-{c}", f"{a}-{b}-{c} ext. 214",
    ]  # fmt: skip


def new_phone(rng: random.Random) -> str:
    return f"{rng.randint(209, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"


def date_text(rng: random.Random, value: date) -> str:
    m, d, y = value.month, value.day, value.year
    forms = [
        f"{m:02d}/{d:02d}/{y}", f"{m}/{d}/{y}", value.strftime("%B ") + f"{d}, {y}",
        f"{m:02d}-{d:02d}-{y}", value.isoformat(),
    ]  # fmt: skip
    return rng.choice(forms)


class Person:
    def __init__(self, first: str, middle: str | None, surname: str, credential: str = "") -> None:
        self.first, self.middle, self.surname, self.credential = first, middle, surname, credential

    @property
    def name(self) -> str:
        middle = f" {self.middle}." if self.middle else ""
        return f"{self.first}{middle} {self.surname}" + (
            f", {self.credential}" if self.credential else ""
        )

    def forms(self, rng: random.Random, doctor: bool) -> list[str]:
        s, f = self.surname, self.first
        initials = f"{f[0]}.{self.middle}." if self.middle else f"{f[0]}."
        cut = max(2, len(s) // 2)
        forms = [
            f"{f} {s}", f"{f} {self.middle}. {s}" if self.middle else f"{f}  {s}", s, s.upper(),
            s.lower(), f"{s}'s", f"{s}’s", f"{initials} {s}", f"{f[0]}. {s}", f"{s}, {f}",
            f"{f}\n{s}", f"{s[:cut]}-\n{s[cut:]}", f"{f.upper()} {s.upper()}",
            f"{s[:cut]}\u00ad{s[cut:]}",
        ]  # fmt: skip
        if doctor:
            forms += [f"Dr. {s}", f"Dr {s}", f"Dr. {f} {s}", f"{f} {s}, M.D.", f"Dr. {s}'s",
                      f"DR. {s.upper()}", f"Dr.{initials} {s}"]  # fmt: skip
        else:
            forms += [f"Mr. {s}", f"Ms. {s}", f"Mrs. {s}", f, f.lower(), f"{f}'s"]
        return forms


def build(
    seed_path: Path,
    rng: random.Random,
    first_names: list[str] = FIRST,
    surnames: list[str] = SURNAMES,
    coined: list[str] = COINED,
) -> tuple[Case, dict[str, Any]]:
    """One full case from one real letter; the name pools can be swapped for other names."""
    case = imrgen.parse(seed_path)
    used: set[str] = set()
    firsts: set[str] = set()

    def person(credential: str = "") -> Person:
        middle = rng.choice([None, rng.choice("ABCDEGJKLMRT")])
        first = pick_unused(rng, first_names, firsts)
        return Person(first, middle, pick_unused(rng, surnames, used), credential)

    employee = person()
    provider = person(rng.choice(["MD", "DO", "M.D."]))
    attorney = person("Esq.") if rng.random() < 0.5 else person()
    other = person("DC")
    reviewer = person()
    if rng.random() < 0.3:  # a double-barrelled surname, searched whole and by parts
        employee.surname = f"{employee.surname}-{pick_unused(rng, surnames, used)}"
    employer = f"{pick_unused(rng, coined, used)} {pick_unused(rng, coined, used)} Inc."
    admin = f"{pick_unused(rng, coined, used)} {pick_unused(rng, coined, used)} LLC"
    firm = f"{attorney.surname} & {pick_unused(rng, surnames, used)} LLP"

    def address() -> tuple[str, str, str]:
        city, zip3 = rng.choice(CITIES)
        street = f"{rng.randint(12, 98765)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}"
        unit = rng.choice(["", ", Suite 210", ", Apt 4B", ", Unit 17"])
        city_line = f"{city}, CA {zip3}{rng.randint(0, 99):02d}"
        return f"{street}{unit}\n{city_line}", street, city_line

    emp_address, emp_street, _ = address()
    employer_address, employer_street, _ = address()
    provider_address, provider_street, _ = address()
    emp_phone, admin_phone, provider_phone = new_phone(rng), new_phone(rng), new_phone(rng)
    free_phone = new_phone(rng)
    dob = date(1950, 1, 1) + timedelta(days=rng.randint(0, 40 * 365))
    mail_host = f"{pick_unused(rng, coined, used).lower()}mail.com"
    email = f"{employee.first.lower()}.{employee.surname.lower()}@{mail_host}"
    free_email = f"casemanager{rng.randint(10, 99)}@{pick_unused(rng, coined, used).lower()}.org"
    claim = rng.choice(
        [
            f"WC-{rng.randint(2010, 2016)}-{rng.randint(0, 9999999):07d}",
            f"{rng.randint(10, 99)}A{rng.randint(1000000, 9999999)}",
            f"ADJ{rng.randint(1000000, 9999999)}",
            f"{rng.randint(1000, 9999)}-{rng.randint(100000, 999999)}-{rng.randint(10, 99)}",
        ]
    )
    ssn = f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
    free_street = f"{rng.randint(12, 9999)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}"

    case.parties = Parties.model_validate(
        {
            "employee": {
                "name": employee.name, "address": emp_address, "date_of_birth": dob,
                "claim_number": claim, "phone": rng.choice(phone_forms(emp_phone)), "email": email,
            },
            "employer": {"name": employer, "address": employer_address},
            "claims_administrator": {"name": admin, "phone": rng.choice(phone_forms(admin_phone))},
            "requesting_provider": {
                "name": provider.name, "specialty": rng.choice(SPECIALTIES),
                "address": provider_address, "phone": rng.choice(phone_forms(provider_phone)),
            },
            "attorney": {"name": attorney.name, "firm": firm},
            "other_providers": [{"name": other.name, "specialty": "Chiropractic"}],
            "reviewer": {"name": reviewer.name},
        }
    )  # fmt: skip

    def emp() -> str:
        return rng.choice(employee.forms(rng, doctor=False))

    def doc(p: Person) -> str:
        return rng.choice(p.forms(rng, doctor=True))

    sentences = [
        f"{emp()} (DOB {date_text(rng, dob)}, SSN {ssn}, claim number {claim}) was injured while"
        f" working for {employer}.",
        f"{emp()} lives at {emp_address.replace(chr(10), ', ')} and can be reached at"
        f" {rng.choice(phone_forms(emp_phone))} or"
        f" {email.upper() if rng.random() < 0.3 else email}.",
        f"According to {doc(provider)} ({provider_street},"
        f" tel. {rng.choice(phone_forms(provider_phone))}), {emp()} continues to report pain.",
        f"{emp()}'s attorney, {attorney.name} of {firm}, wrote to {admin} at"
        f" {rng.choice(phone_forms(admin_phone))}; date of birth: {date_text(rng, dob)}.",
        f"{doc(other)} saw {emp()} at {employer_street}; the nurse case manager ({free_email},"
        f" {rng.choice(phone_forms(free_phone))}) works from {free_street}.",
    ]
    rationale_sentences = [
        f"{doc(provider)} requested this for {emp()}.",
        f"The notes of {doc(provider)} and {doc(other)} were reviewed by {reviewer.name}.",
        f"{emp()} (claim {claim}) reported improvement to {doc(provider)}.",
        f"{emp()} was seen at {emp_street} by {doc(other)}.",
    ]
    redacted_forms = [doc(provider), doc(other), doc(provider), emp()]

    def fill_markers(text: str) -> str:
        return re.sub(r"\[REDACTED\]", lambda _: rng.choice(redacted_forms), text)

    summary = [fill_markers(p) for p in case.summary]
    rng.shuffle(sentences)
    summary[0] = f"{sentences[0]} {sentences[1]} {summary[0]}"
    summary[-1] = f"{summary[-1]} {' '.join(sentences[2:])}"
    case.summary = summary
    for item in case.items:
        rationale = [fill_markers(p) for p in item.rationale]
        rationale[0] = f"{rng.choice(rationale_sentences)} {rationale[0]}"
        rationale[-1] = f"{rationale[-1]} {rng.choice(rationale_sentences)}"
        item.rationale = rationale
    if rng.random() < 0.5:
        item = case.items[0]
        item.request = f"{item.request.rstrip(':')} (per Dr. {provider.surname})"
    case = Case.model_validate(case.model_dump(mode="python"))
    people = [employee, provider, attorney, other, reviewer]
    planted = {
        "names": [p.name for p in people] + [employer, admin, firm],
        "phones": [emp_phone, admin_phone, provider_phone, free_phone],
        "emails": [email, free_email],
        "claim_numbers": [claim],
        "ssns": [ssn],
        "streets": [emp_street, employer_street, provider_street, free_street],
    }
    return case, planted


def main() -> None:
    from conftest import REAL_LETTERS, SHARED

    rng = random.Random(SEED)
    letters = rng.sample(REAL_LETTERS, COUNT)
    OUT.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {}
    for index, letter in enumerate(letters):
        case, planted = build(letter, rng)
        name = f"full-{index:02d}.yaml"
        (OUT / name).write_text(dump_case(case), encoding="utf-8")
        manifest[name] = {"seed": str(letter.relative_to(SHARED)), **planted}
    text = yaml.safe_dump(manifest, sort_keys=True, allow_unicode=True, width=100)
    (OUT / "manifest.yaml").write_text(
        "# Written by tests/make_full_cases.py: each case's real letter and what was planted.\n"
        + text,
        encoding="utf-8",
    )
    print(f"{len(letters)} cases in {OUT}")


if __name__ == "__main__":
    main()
