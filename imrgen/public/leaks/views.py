"""What a finished file carries, every text of it named by where it stands: the text, metadata,
attachments, every zip part and PDF stream, told apart by their bytes, never by a writer."""

from __future__ import annotations

import html
import io
import json
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any


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


def normalize(text: str) -> str:
    """Text as a reader sees it: compatibility forms, no invisible characters, a word broken at
    a line end mended, one space for any run of white space."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]", "", text)
    text = text.replace("’", "'").replace("‘", "'")
    text = re.sub(r"(?<=[A-Za-z])[-‐]\s*\n\s*(?=[A-Za-z])", "", text)
    return " ".join(text.split())
