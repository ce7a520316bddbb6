"""Drafting commands: `imrgen new` writes a starter case, every field present and commented.

The starter's blanks are values the case model refuses (null where text is required, YYYY-MM-DD
for a date, "upheld-or-overturned" for a choice), so `imrgen validate` on an untouched starter
lists every one of them with its field path and line, and a forgotten blank can never reach a
letter. Its first line names the JSON Schema, written beside it, so an editor running the YAML
language server completes and checks fields as the drafter types.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ImrgenError
from . import Subparsers

if TYPE_CHECKING:
    from ..case.model import Edition

EDITIONS = ("2014", "2015")  # imrgen.case.model.Edition, written out so that --help loads no model

SCHEMA_NAME = "imrgen-case.schema.json"


_HEAD = """\
# yaml-language-server: $schema={schema}
#
# A new IMR final determination (imrgen starter case).
# Every field is here. Replace each blank: null where text is required, YYYY-MM-DD for a date,
# and the "a-or-b" choices. Optional fields may stay null (or be deleted); each comment says
# which. Then check the case with:  imrgen validate {name}
# The text of the case is printed as written: no markup, no template syntax.

edition: "{edition}"  # the wording: "2015" (2015-2017 letters) or "2014"

organization:  # the independent review organization that signs the letter
  name: MAXIMUS Federal Services
  short_name: MAXIMUS  # as in "MAXIMUS guideline"

header:
  case_number: CMyy-nnnnnnn  # the state's form, e.g. CM17-0001234
  date_of_injury: YYYY-MM-DD
  ur_denial_date: YYYY-MM-DD  # the utilization review decision in dispute
  application_received: YYYY-MM-DD  # the application for IMR
  date_assigned: YYYY-MM-DD  # assigned to the expert reviewer
  records_received: YYYY-MM-DD  # medical records received; null if unknown (not printed)
  decision_date: YYYY-MM-DD
  priority: standard-or-expedited  # standard: 30 days; expedited: 3 days

reviewer:  # qualifications only: the reviewer's name is confidential and never printed
  specialty: null  # required, or licensure: e.g. Physical Medicine & Rehabilitation
  subspecialty: null  # 2014 edition only ("has a subspecialty in ..."); else null
  licensure: null  # required, or specialty: the states, e.g. California, Oregon

summary:  # the case summary: one entry per paragraph
  - null

items:  # the disputed items/services, one entry each
{items}
page_breaks_before: []  # sections that start a new page: summary, issues

parties:  # the full letter's addressees; never in the public letter. Every field is optional.
  employee:  # the injured worker
    name: null
    address: null  # several lines: write it as a block, e.g. |  (then one line per row)
    date_of_birth: null  # YYYY-MM-DD
    claim_number: null
    phone: null
    email: null
  employer:
    name: null
    address: null
  claims_administrator:
    name: null
    address: null
    phone: null
  requesting_provider:
    name: null
    specialty: null
    address: null
    phone: null
  attorney:  # the injured worker's attorney, if any
    name: null
    firm: null
    address: null
  other_providers: []  # e.g. [{{name: ..., specialty: ...}}]
  reviewer:
    name: null  # kept for the record; confidential by law, never printed
"""

_BASIS = """\
    {side}:  # {whose}; give at least one of the three
      statement: null  # no-evidence | not-mtus | outside-mtus, or null
      mtus:  # MTUS citations: fill this entry, add more, or delete it (then: mtus: [])
        - part: null  # e.g. Chronic Pain Medical Treatment, Low Back Complaints
          year: null  # the edition year, e.g. 2009; needed before sections
          sections: []  # e.g. [Physical Medicine]
          pages: null  # 2014 form: e.g. 339
      non_mtus: null  # the non-MTUS citation as printed, or null
      non_mtus_full_stop: true  # false if the letter prints no full stop after it
      text: null  # only for a basis in none of these forms: the words as written
"""

_ITEM = """\
  - request: null  # the service in dispute, as the letter names it
    decision: upheld-or-overturned  # upheld: not medically necessary; overturned: necessary
    modification: null  # if UR authorized part of the request, replace null with:
    #   original_request: ...  # as requested
    #   authorized: ...  # what UR authorized
    #   eligible: remaining-portion  # or original-request
{bases}    rationale:  # one entry per paragraph; the last must conclude as the decision does
      - null
"""


def starter(
    edition: Edition | str = "2015",
    items: int = 1,
    schema: str = SCHEMA_NAME,
    name: str = "CASE.yaml",
) -> str:
    """The starter case as YAML text."""
    from ..case.model import Edition

    edition = Edition(edition)
    bases = _BASIS.format(
        side="claims_administrator_basis", whose="UR's basis for the denial"
    ) + _BASIS.format(side="reviewer_basis", whose="the reviewer's basis")
    item = _ITEM.format(bases=bases)
    return _HEAD.format(
        schema=schema, name=name, edition=edition.value, items="".join([item] * items)
    )


def cmd_new(args: argparse.Namespace) -> int:
    from ..case.model import Edition
    from ..case.schema import schema_text
    from ..files import write_atomic

    if args.items < 1:
        raise ImrgenError(f"--items: expected at least 1 disputed item, got {args.items}")
    if args.file is None:
        sys.stdout.write(starter(Edition(args.edition), args.items, args.schema or SCHEMA_NAME))
        return 0
    target = Path(args.file)
    if target.suffix.lower() not in (".yaml", ".yml"):
        raise ImrgenError(f"{target}: expected a .yaml or .yml file name")
    if target.is_dir():
        raise ImrgenError(f"{target}: is a folder; expected a .yaml file name")
    if target.exists() and not args.force:
        raise ImrgenError(f"{target}: already exists; give --force to replace it")
    text = starter(Edition(args.edition), args.items, args.schema or SCHEMA_NAME, target.name)
    files = {target: text}
    if args.schema is None:
        # The schema follows the installed imrgen, so it is always refreshed.
        files[target.parent / SCHEMA_NAME] = schema_text()
    for path, content in files.items():
        try:
            write_atomic(path, content.encode("utf-8"))
        except OSError as exc:
            raise ImrgenError(f"{path}: cannot write it ({exc.strerror or exc})") from None
    written = [str(path) for path in files]
    print(f"wrote {' and '.join(written)}; fill the blanks, then: imrgen validate {target}")
    return 0


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "new",
        help="write a starter case (YAML, every field commented) and its JSON Schema",
        description="Write a starter case for a new determination. With FILE, the JSON Schema"
        f" is written beside it as {SCHEMA_NAME}, which the file's first line names for"
        " editors; without FILE, the case goes to standard output.",
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="a .yaml file (default: stdout)")
    p.add_argument(
        "--edition",
        default="2015",
        choices=EDITIONS,
        help="the letter's wording (default: 2015)",
    )
    p.add_argument(
        "-n", "--items", type=int, default=1, help="how many disputed items (default: 1)"
    )
    p.add_argument(
        "--schema",
        metavar="REF",
        help="the schema path or URL for the first line; then no schema file is written",
    )
    p.add_argument("--force", action="store_true", help="replace an existing FILE")
    p.set_defaults(func=cmd_new)
