"""The one public pipeline: redact -> render -> check every finished file -> hand back only what
passes. `imrgen public`, `imrgen batch --public` and the HTTP service all call it, so a public
version is made, checked and named the same way wherever it is asked for."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from ..case.model import Case
from ..errors import ImrgenError
from ..writers import RenderOptions, check_formats, get_writer
from .leaks import Leak, find_leaks
from .redaction import RedactionPolicy, default_policy, redact


class LeakError(ImrgenError):
    """A public version the leak check refused: nothing of it may be written or sent. The
    message names each finding (file, part, kind, source field) and never the identifier."""

    def __init__(self, source: str, policy: str, leaks: list[Leak]) -> None:
        self.source = source
        self.leaks = leaks
        files = sorted({leak.file for leak in leaks})
        findings = "; ".join(str(leak) for leak in leaks)
        super().__init__(
            f"{source}: public version refused (policy '{policy}'): {len(leaks)} identifier(s)"
            f" of the source in {', '.join(files)}: {findings}"
        )


def public_stem(case: Case, digest: str) -> str:
    """The name of a public file without its suffix: the case number, else "letter-" and the
    start of the input's sha256. Never the input's own file name, which may name a person."""
    if case.header.case_number:
        return case.header.case_number
    if not re.fullmatch(r"[0-9a-f]{12,}", digest):
        raise ValueError(f"expected a hex digest, got {digest!r}")
    return f"letter-{digest[:12]}"


def public_name(case: Case, fmt: str, digest: str) -> str:
    """The file name a public version in this format gets, e.g. "CM16-0000001.pdf"."""
    return f"{public_stem(case, digest)}{get_writer(fmt).suffix}"


def public_version(
    source: Case | bytes,
    formats: Sequence[str],
    policy: RedactionPolicy | None = None,
    options: RenderOptions | None = None,
    *,
    name: str = "<case>",
    digest: str | None = None,
    sign: Callable[[bytes], bytes] | None = None,
) -> dict[str, bytes]:
    """The public version of a full case in each format, as bytes, keyed by format name.

    `source` is a Case, or the bytes of a case file or letter (then `name` is its file name,
    whose suffix says how to read it: "case.yaml", "letter.pdf").

    The case is redacted by `policy` (default: the state's practice), rendered as the public
    letter body in each format, and each finished file is searched for every identifier of
    `source` by the independent leak check. If any file carries one, LeakError is raised and
    nothing is returned: the caller writes or sends all of it or none of it. `name` is how the
    source is named in errors (a path, an upload's name); `digest` (the sha256 of the input's
    bytes) names the files of a case without a case number (see public_name).

    Raises ImrgenError (LeakError, UnknownFormatError, RenderError) for what the caller can
    report; an unknown format fails before any work is done. `sign`, if given, signs each
    PDF before the leak check, so the check reads the file exactly as it is sent.
    """
    fmts = check_formats(formats)
    if not fmts:
        raise ImrgenError("no output format given")
    if isinstance(source, bytes):
        digest = digest or hashlib.sha256(source).hexdigest()
        source = read_source(Path(name), source)
    policy = policy or default_policy()
    options = dataclasses.replace(options or RenderOptions(), letter="public-body")
    digest = digest or hashlib.sha256(source.model_dump_json().encode()).hexdigest()
    public = redact(source, policy)
    files: dict[str, bytes] = {}
    leaks: list[Leak] = []
    for fmt in fmts:
        data = get_writer(fmt).write(public, options)
        if sign is not None and fmt == "pdf":
            data = sign(data)
        leaks.extend(find_leaks(data, public_name(source, fmt, digest), source))
        files[fmt] = data
    if leaks:
        raise LeakError(name, policy.name, leaks)
    return files


def read_input(path: Path) -> bytes:
    """An input's bytes; a file that cannot be read is an error naming it."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ImrgenError(f"{path}: no such file") from None
    except OSError as exc:
        raise ImrgenError(f"{path}: {exc.strerror or exc}") from None


def read_source(path: Path, data: bytes | None = None) -> Case:
    """A case file, or a letter in any format `parse` reads."""
    from ..case.loading import is_case_file, load_case
    from ..errors import CaseError, Problem
    from ..readers import parse

    if data is None:
        data = read_input(path)
    if is_case_file(path):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CaseError(path, [Problem("", f"not UTF-8 text ({exc.reason})")]) from None
        return load_case(path, text)
    case = parse(path, data=data)
    if case.parties is None and is_full_letter(data, path.name):
        raise ImrgenError(
            f"{path}: a full letter as sent to the parties: its parties are not read back from"
            " it, so neither redaction nor the leak check would know their names; make the"
            " public version from the case file"
        )
    return case


def is_full_letter(data: bytes, filename: str) -> bool:
    """Whether a letter carries the cover that only the full letter as sent has (its headings
    in any language imrgen writes), read from every text the file holds."""
    from ..letter.i18n import languages, translations
    from .leaks import views

    headings = {
        translations(lang).gettext(words)
        for lang in languages()
        for words in ("Your right to appeal", "What this determination means")
    }
    for _where, text in views(data, filename):
        flat = " ".join(text.split())
        if any(heading in flat for heading in headings):
            return True
    return False
