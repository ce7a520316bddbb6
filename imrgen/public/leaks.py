"""The leak check: look through everything a finished file carries (text, metadata, attachments,
every part and stream) for any identifier of the source case. It reads bytes, not writers, so it
covers any format: PDF, any zip (DOCX), and text (html, md, txt)."""

from __future__ import annotations

import html
import io
import json
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..case.model import Case
from .redaction import (
    EMAIL,
    SSN,
    Known,
    date_forms,
    eponym_surnames,
    initials_of,
    is_common_word,
    is_very_common,
    known_identifiers,
    name_words,
    needs_context,
    parties_of,
    phone_digits,
    searchable_tokens,
    split_person,
)


@dataclass(frozen=True)
class Leak:
    """One identifier found in a file: where inside it, which kind, which field of the source."""

    file: str
    where: str  # "page 2 text", "document info /Author", "word/document.xml" ...
    kind: str  # name, address, phone, email, claim-number, date-of-birth, ssn
    field: str  # the source field it comes from, e.g. "parties.employee.name"
    hint: str  # the identifier masked: enough to find it, never the whole of it

    def __str__(self) -> str:
        if self.kind == UNREADABLE:
            return f"{self.file}: {self.where}: cannot be read, so cannot be cleared"
        return f"{self.file}: {self.where}: {self.kind} from {self.field} ({self.hint})"


UNREADABLE = "unreadable"


def mask(value: str) -> str:
    value = " ".join(value.split())
    if len(value) <= 2:
        return "*" * len(value)
    return value[:2] + "*" * min(len(value) - 2, 12) + f" ({len(value)} chars)"


# -- what to look for -----------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One way of finding one identifier in normalized text."""

    known: Known
    pattern: re.Pattern[str] | None = None  # on the normalized text
    # a name word that is also found where the case's structure prints it (a guideline's
    # "Hand Complaints", the organization's "Federal Services") is searched outside it
    word: bool = False
    # a name part that is also a word or an eponym: a match counts unless it is plainly the word
    ambiguous: bool = False
    first_name: bool = False  # the token is the person's first name
    squeezed: str | None = None  # on the text reduced to lower-case letters and digits
    digits: str | None = None  # on runs of digits and phone separators


def _squeeze(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _word_pattern(word: str, lower: bool = False) -> re.Pattern[str]:
    body = re.escape(word.lower().replace("’", "'"))
    if needs_context(word):
        # an everyday word or an eponym: where written with a capital, as a name is (and, for
        # a person, in lower case too, judged by _plainly_a_word)
        forms = f"{re.escape(word.capitalize())}|{re.escape(word.upper())}"
        if lower:
            forms += f"|{body}"
        return re.compile(rf"(?<![0-9A-Za-z])(?:{forms})(?![0-9A-Za-z])")
    return re.compile(rf"(?<![0-9a-z]){body}(?![0-9a-z])", re.I)


# The leak check's own reading of a capitalized word that is also a name, stricter than the
# redactor's: a match is set aside only where it is plainly not the person, and counts
# everywhere else (in capitals, in mid-sentence, after a title, before a verb ...).
# a title, or an initial ("I. Chance"), before the word
_TITLE_BEFORE = re.compile(
    r"(?i:\b(?:dr|mr|mrs|ms|miss|mx|prof|doctor)\.?\s*$)|(?<![A-Za-z])[A-Z]\.\s*$"
)
_STARTS_SENTENCE = re.compile(r"(?:^|[.!?:;>]['\"”’)]?\s*|[\"“(]\s*)$")
_HEAD_NOUN = re.compile(
    r"(?i)(?:['’]s?)?\s+(?:tests?|signs?|maneuvers?|disease|syndrome|fractures?|cysts?|palsy"
    r"|lymphoma|contractures?|nodes?|neuromas?|tendon|lesions?|deformity|phenomenon|reflex"
    r"|changes|canal|tenosynovitis|joint|injury|atrophy)\b"
)
_REPORTS = re.compile(
    r",?\s+(?:(?:also|then|still|now|again|later|never|often|further)\s+)?"
    r"(?:reported|reports|noted|notes|stated|states|said|wrote|writes|documented|documents"
    r"|recommended|requested|requests|indicated|opined|examined|saw|treated|ordered|referred"
    r"|diagnosed|prescribed|explained|agreed|signed|returned|complained|denied|underwent"
    r"|testified|continues|presented|submitted|performed|described|reviewed|found|felt"
    r"|sustained|received|declined|admitted|remains|who|was|is|has|had|did|does|will|would"
    r"|could|should|can|may|might|must)\b"
)


_ROLE_BEFORE = re.compile(
    r"(?i)\b(?:attorneys?|counsel|lawyer|provider|physician|doctor|surgeon|therapist|nurse"
    r"|chiropractor|reviewer|applicant|claimant|patient|worker|employee|according\s+to),?\s+$"
)


def _plainly_a_word(text: str, match: re.Match[str], first_name: bool) -> bool:
    token = match.group(0)
    # markup writes an apostrophe as an entity ("Speed&#39;s test"); read what follows as text
    before, after = text[: match.start()], html.unescape(text[match.end() : match.end() + 80])
    if _TITLE_BEFORE.search(before):
        return False
    if token.lower() in eponym_surnames() and _HEAD_NOUN.match(after):
        return True  # "Still's disease", "Speed test"
    if re.match(r"-[A-Za-z]", after) or re.search(r"[A-Za-z]-$", before):
        return True  # "High-Speed", "Still-present"
    if token.islower():
        # in lower case: the word, unless it is no everyday word ("thomas") or only a person
        # fits around it: a role word or "according to" before, a possessive or a person's
        # details in parentheses after
        return not (
            not is_common_word(token)
            or _ROLE_BEFORE.search(before)
            or re.match(
                r"['’]s?(?![A-Za-z])|\s*\((?:DOB|D\.O\.B|date of birth|claim|SSN|tel|\d)", after
            )
        )
    if token.isupper() or not _STARTS_SENTENCE.search(before):
        return False
    # a capital at a sentence start: the word, where a lower-case word (or a comma and one)
    # follows that is not what a person does, and the word is plainly in use as a word: the
    # same text writes it in lower case, it is among the commonest words, "of" follows, or it
    # is a first name (which a letter rarely writes alone as a subject)
    if not re.match(r",?\s+[a-z]", after) or _REPORTS.match(after):
        return False
    lower = re.compile(rf"(?<![A-Za-z-]){re.escape(token.lower())}(?![A-Za-z])")
    return (
        first_name
        or is_very_common(token)
        or after.startswith(" of ")
        or lower.search(text) is not None
    )


def probes(case: Case) -> list[Probe]:
    """Every identifier of the source case, each in every form worth searching."""
    found: list[Probe] = []
    parties = {p.field: p for p in parties_of(case.parties)}
    for known in known_identifiers(case):
        if known.kind == "name":
            party = parties.get(known.field)
            tokens = searchable_tokens(party) if party else name_words(known.value)
            for token in tokens:
                ambiguous = party is not None and party.person and needs_context(token)
                first = party is not None and party.person and split_person(party.name).first
                found.append(
                    Probe(
                        known,
                        pattern=_word_pattern(token, lower=ambiguous),
                        word=True,
                        ambiguous=ambiguous,
                        first_name=bool(first) and token == first,
                    )
                )
            if party and party.person:
                found.extend(_initial_probes(known, party.name))
            squeezed = _squeeze(known.value)
            if len(name_words(known.value)) >= 2 and len(squeezed) >= 6:
                found.append(Probe(known, squeezed=squeezed))
        elif known.kind == "phone":
            digits = phone_digits(known.value)
            if len(digits) >= 7:
                found.append(Probe(known, digits=digits))
        elif known.kind == "ssn":
            found.append(Probe(known, digits=re.sub(r"\D", "", known.value)))
        elif known.kind == "date-of-birth":
            try:
                value = date.fromisoformat(known.value)
            except ValueError:
                found.append(Probe(known, squeezed=_squeeze(known.value)))
            else:
                for form in _birth_date_forms(value):
                    found.append(Probe(known, squeezed=form))
        elif known.kind == "address":
            lines = [known.value]
            first = known.value.split(",")[0]
            if re.search(r"\d", first) and re.search(r"[A-Za-z]{3}", first):
                lines.append(first)
            for line in lines:
                if len(_squeeze(line)) >= 6:
                    found.append(Probe(known, squeezed=_squeeze(line)))
        else:  # email, claim-number
            squeezed = _squeeze(known.value)
            if len(squeezed) >= 5:
                found.append(Probe(known, squeezed=squeezed))
    return found


def _initial_probes(known: Known, name: str) -> list[Probe]:
    """A person's initials where they can only be the person: dotted together ("J.R."), or a
    first initial set off by commas where a surname stood ("the injured worker, J., ...")."""
    person = split_person(name)
    letters = initials_of(person)
    if not letters or not person.first:
        return []
    dotted = r"\s?".join(f"{re.escape(c)}\\." for c in letters)
    first = re.escape(person.first[0].upper())
    pattern = rf"(?<![A-Za-z.]){dotted}|(?<=,)\s?{first}\.(?=\s?[,;:)]|$)"
    return [Probe(known, pattern=re.compile(pattern))]


_MONTH_NAMES = [
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
    ("may", "may"), ("june", "jun"), ("july", "jul"), ("august", "aug"),
    ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"), ("december", "dec"),
]  # fmt: skip


def _birth_date_forms(value: date) -> set[str]:
    """A date of birth squeezed (letters and digits only) in every way a letter writes it:
    numbers month first with or without zeros and with two or four digits of year, ISO, and
    the month by name, abbreviated, before or after the day, the day with or without "th"."""
    m, d, y = value.month, value.day, value.year
    suffix = "th" if 10 <= d % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    forms = {_squeeze(f) for f in date_forms(value)}
    for month in (str(m), f"{m:02d}"):
        for day in (str(d), f"{d:02d}"):
            for year in (str(y), f"{y % 100:02d}"):
                forms.add(f"{month}{day}{year}")
    forms.add(f"{y}{m:02d}{d:02d}")
    for name in _MONTH_NAMES[m - 1]:
        for day in (str(d), f"{d}{suffix}"):
            forms.update({f"{name}{day}{y}", f"{day}{name}{y}", f"{day}of{name}{y}"})
    return forms


# Labelled dates of birth, read for themselves whatever the case says (a date of birth that no
# party field names is still one): "DOB 2/19/1973", "date of birth: February 19th, 1973".
_BIRTH_LABEL = re.compile(
    r"(?i)\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|born(?:\s+on)?)\s*(?:is\s+|of\s+)?"
    r"[:#]?\s*(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}"
    r"|[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?[A-Z][a-z]{2,8}\.?,?\s+\d{4})"
)


def structure_phrases(case: Case) -> list[str]:
    """What the case's structure prints as the guidelines and the form write it: the
    organization and the MTUS citations. A name word of a party found only inside one of them
    ("Hand" in "Forearm, Wrist, and Hand Complaints") is that phrase, not the person; a phrase
    that carries a title ("Dr.") or any other sign of a person is not set aside."""
    found = {case.organization.name, case.organization.short_name}
    for item in case.items:
        for basis in (item.claims_administrator_basis, item.reviewer_basis):
            for citation in basis.mtus:
                found.add(citation.part)
                found.update(citation.sections)
    person = re.compile(r"(?i)\b(?:dr|mr|mrs|ms|doctor|m\.d|d\.o)\b|['’]s\b")
    return sorted(
        (normalize(p) for p in found if p and not person.search(p)), key=len, reverse=True
    )


# -- what a file carries --------------------------------------------------------------------


def views(data: bytes, filename: str) -> Iterator[tuple[str, str]]:
    """Every text a file carries, named by where it stands; formats told apart by their bytes."""
    yield "file name", filename
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        yield from _pdf_views(data)
    elif data.startswith(b"PK\x03\x04"):
        yield from _zip_views(data, "")
    else:
        yield from _blob_views(data, "text")


def _decode(data: bytes) -> str:
    if data.startswith((b"\xfe\xff", b"\xff\xfe")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_TAG = re.compile(r"<[^>]*>")


def _is_text(data: bytes) -> bool:
    if data.startswith((b"\xfe\xff", b"\xff\xfe")):
        return True
    sample = data[:4096]
    if not sample:
        return True
    printable = sum(1 for b in sample if b >= 0x20 or b in (9, 10, 13))
    return printable / len(sample) >= 0.95


_PRINTABLE_RUN = re.compile(rb"[\x20-\x7e\t\r\n]{6,}")


def _blob_views(data: bytes, where: str) -> Iterator[tuple[str, str]]:
    """A blob as text: as written, with markup taken out (joined and spaced), escapes undone,
    and, if it is JSON, every string in it. Of a binary blob (an image, a font), its printable
    runs, where metadata hides."""
    if not _is_text(data):
        runs = _PRINTABLE_RUN.findall(data)
        yield f"{where} (printable runs)", "\n".join(r.decode("ascii") for r in runs)
        return
    text = _decode(data)
    yield where, text
    if "<" in text and ">" in text:
        yield f"{where} (markup removed)", html.unescape(_TAG.sub(" ", text))
        yield f"{where} (markup removed, runs joined)", html.unescape(_TAG.sub("", text))
    if "&" in text:
        yield f"{where} (entities undone)", html.unescape(text)
    if "\\" in text:
        yield f"{where} (escapes undone)", re.sub(r"\\(.)", r"\1", text)
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            value = json.loads(stripped)
        except ValueError:
            pass
        else:
            yield f"{where} (JSON strings)", "\n".join(_json_strings(value))


def _json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, element in value.items():
            yield str(key)
            yield from _json_strings(element)
    elif isinstance(value, list):
        for element in value:
            yield from _json_strings(element)
    elif value is not None:
        yield str(value)


def _zip_views(data: bytes, prefix: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        yield f"{prefix}unreadable zip", ""
        yield from _blob_views(data, f"{prefix}raw bytes")
        return
    with archive:
        for info in archive.infolist():
            where = f"{prefix}{info.filename}"
            yield f"{where} (part name)", info.filename
            if info.comment:
                yield f"{where} (comment)", _decode(info.comment)
            try:
                part = archive.read(info)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error):
                yield f"{where} (unreadable)", ""
                continue
            if part.startswith(b"PK\x03\x04") and depth < 3:
                yield from _zip_views(part, f"{where}/", depth + 1)
            elif part.startswith(b"%PDF"):
                yield from ((f"{where}/{w}", t) for w, t in _pdf_views(part))
            else:
                yield from _blob_views(part, where)
        if archive.comment:
            yield f"{prefix}zip comment", _decode(archive.comment)


_STREAM = re.compile(rb"stream\r?\n")


def _pdf_views(data: bytes) -> Iterator[tuple[str, str]]:
    yield from _pdfium_views(data)
    outside = bytearray()
    position = 0
    for match in _STREAM.finditer(data):
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            continue
        outside += data[position:start]
        position = end
        raw = data[start:end]
        decoded = _inflate(raw)
        if decoded is None:  # not Flate: an uncompressed stream (XMP often is) or an image
            decoded = raw
        xml = decoded.lstrip()[:10].startswith((b"<?x", b"<x:", b"<rdf", b"<?xml"))
        where = f"stream at byte {match.start()}"
        if xml:
            where = f"{'XMP metadata' if b'xmpmeta' in decoded[:2000] else 'XML'} ({where})"
        yield from _blob_views(decoded, where)
        if _is_text(decoded):
            yield f"{where} (strings)", "\n".join(_pdf_strings(decoded))
    outside += data[position:]
    yield "objects outside streams", bytes(outside).decode("latin-1")
    yield "objects outside streams (strings)", "\n".join(_pdf_strings(bytes(outside)))


def _inflate(raw: bytes) -> bytes | None:
    try:
        return zlib.decompressobj().decompress(raw)
    except zlib.error:
        return None


def _pdfium_views(data: bytes) -> Iterator[tuple[str, str]]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data, password="")
    except pdfium.PdfiumError as exc:
        yield f"unreadable PDF ({exc})", ""
        return
    try:
        for key, value in document.get_metadata_dict(skip_empty=True).items():
            yield f"document info /{key}", value
        for number in range(len(document)):
            page = document[number]
            textpage = page.get_textpage()
            yield f"page {number + 1} text", textpage.get_text_range()
            textpage.close()
            page.close()
        for index in range(document.count_attachments()):
            attachment = document.get_attachment(index)
            name = attachment.get_name()
            yield f"attachment {index + 1} name", name
            yield from _blob_views(bytes(attachment.get_data()), f"attachment {name!r}")
    finally:
        document.close()


def _pdf_strings(data: bytes) -> Iterator[str]:
    """PDF string objects, literal and hex, decoded (UTF-16 with its mark, else PDFDocEncoding
    as Latin-1): where the document info and form values stand when not compressed."""
    position = 0
    size = len(data)
    literal = re.compile(rb"\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)", re.S)
    hexstring = re.compile(rb"<([0-9A-Fa-f\s]{4,})>")
    for match in literal.finditer(data, position, size):
        yield _pdf_text(_unescape_literal(match.group(0)[1:-1]))
    for match in hexstring.finditer(data):
        digits = re.sub(rb"\s", b"", match.group(1))
        if len(digits) % 2:
            digits += b"0"
        yield _pdf_text(bytes.fromhex(digits.decode("ascii")))


_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape_literal(body: bytes) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        token = match.group(1)
        if re.fullmatch(rb"[0-7]{1,3}", token):  # "\9" is a 9: only octal digits escape
            return bytes([int(token, 8) & 0xFF])
        if token in (b"\n", b"\r"):
            return b""
        return _ESCAPES.get(token, token)

    return re.sub(rb"\\([0-7]{1,3}|.)", replace, body, flags=re.S)


def _pdf_text(raw: bytes) -> str:
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", errors="replace")
    return raw.decode("latin-1")


# -- the search -----------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Text as a reader sees it: compatibility forms, no invisible characters, a word broken at
    a line end mended, one space for any run of white space."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]", "", text)
    text = text.replace("’", "'").replace("‘", "'")
    text = re.sub(r"(?<=[A-Za-z])[-‐]\s*\n\s*(?=[A-Za-z])", "", text)
    return " ".join(text.split())


_DIGIT_RUN = re.compile(r"\d(?:[\d\s().\-/+]*\d)?")


def _search(text: str, probe: Probe, squeezed: str, digit_runs: list[str]) -> bool:
    if probe.pattern is not None:
        if probe.ambiguous:
            return any(
                not _plainly_a_word(text, m, probe.first_name) for m in probe.pattern.finditer(text)
            )
        return probe.pattern.search(text) is not None
    if probe.squeezed is not None:
        return probe.squeezed in squeezed
    if probe.digits is not None:
        return any(probe.digits in run for run in digit_runs)
    return False


def _numbers_readable(where: str) -> bool:
    """A PDF content stream or font is full of numbers of every shape; digit identifiers are
    read there only from its strings (the text a page draws is read from the page itself)."""
    if where.startswith(("stream at", "objects outside")):
        return where.endswith(("(strings)", "(JSON strings)"))
    return True


def _numeric(probe: Probe) -> bool:
    if probe.digits is not None:
        return True
    value = probe.squeezed or ""
    return sum(c.isdigit() for c in value) * 2 >= len(value) > 0


def find_leaks(data: bytes, filename: str, source_case: Case) -> list[Leak]:
    """Every identifier of source_case that the file carries anywhere, one finding per place
    and identifier."""
    wanted = probes(source_case)
    phrases = _phrase_patterns(structure_phrases(source_case))
    leaks: dict[tuple[str, str, str], Leak] = {}
    for where, raw in views(data, filename):
        if where.startswith("unreadable") or where.endswith("(unreadable)"):
            leaks[(where, UNREADABLE, "")] = Leak(filename, where, UNREADABLE, "-", "-")
            continue
        # one finding per place: the variants of a view ("(markup removed)" ...) are one place
        place = re.sub(
            r" \((?:markup removed|markup removed, runs joined|entities undone|escapes"
            r" undone|JSON strings|strings)\)$",
            "",
            where,
        )
        if not raw:
            continue
        text = normalize(raw)
        variants = [text]
        joined = re.sub(r"(?<=[A-Za-z])[-‐] (?=[a-z])", "", text)
        if joined != text:
            variants.append(joined)
        # name words are searched where the structure's phrases are blanked out
        outside = [_blank(v, phrases) for v in variants]
        squeezed = _squeeze(text)
        digit_runs = [re.sub(r"\D", "", run) for run in _DIGIT_RUN.findall(text)]
        numbers_readable = _numbers_readable(where)
        for probe in wanted:
            key = (place, probe.known.field, probe.known.value.lower())
            if key in leaks or (not numbers_readable and _numeric(probe)):
                continue
            if any(
                _search(v, probe, squeezed, digit_runs)
                for v in (outside if probe.word else variants)
            ):
                leaks[key] = Leak(
                    filename, place, probe.known.kind, probe.known.field, mask(probe.known.value)
                )
        # identifiers standing in a text view with no source field: an SSN or e-mail address
        # (PDF streams hold numbers of every shape, so only text views are read this way)
        if not where.startswith(("stream at", "objects outside", "raw")) and (
            where.startswith(("page ", "document info", "text"))
            or where.endswith(("(markup removed)", "(JSON strings)"))
        ):
            found = ((SSN, "ssn"), (EMAIL, "email"), (_BIRTH_LABEL, "date-of-birth"))
            for pattern, kind in found:
                for match in pattern.finditer(text):
                    key = (place, kind, match.group(0).lower())
                    leaks.setdefault(
                        key, Leak(filename, place, kind, "pattern", mask(match.group(0)))
                    )
    return sorted(leaks.values(), key=lambda leak: (leak.where, leak.kind, leak.field))


# between the words of a phrase, a file may put markup or an entity as well as a space
_BETWEEN_WORDS = r"(?:[\s\u00a0]|<[^>]*>|&#?\w+;)+"


def _phrase_patterns(phrases: list[str]) -> list[re.Pattern[str]]:
    return [
        # no word boundaries: a view with its runs joined glues a phrase to the word before it
        re.compile(_BETWEEN_WORDS.join(re.escape(w) for w in phrase.split()))
        for phrase in phrases
    ]


def _blank(text: str, phrases: list[re.Pattern[str]]) -> str:
    for phrase in phrases:
        text = phrase.sub(" \u2063 ", text)
    return text


def check_file(path: str | Path, source_case: Case) -> list[Leak]:
    path = Path(path)
    return find_leaks(path.read_bytes(), path.name, source_case)
