"""The Typst engine of the PDF writer: the letter's blocks (from the same HTML every writer
starts from) and the look go to templates/base/letter.typ as JSON through sys.inputs, so case
text is data and never Typst source. Typst tags the PDF itself (PDF/UA-1, and PDF/A-3b with it);
pikepdf adds only what Typst 0.15 cannot write: row header cells with their scope, the
letter's Part and Sect grouping, the ArtBox the PDF reader needs, the attachment's
relationship outside PDF/A-3, and imrgen as the file's creator."""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import lxml.html
import pikepdf
import typst

from ..case.embedding import ATTACHMENT_NAME, case_to_json
from ..case.model import Case
from ..errors import RenderError
from ..letter.i18n import translations
from ..letter.templates import STYLES_DIR, TEMPLATES_DIR, TemplateSet
from . import RenderOptions, letter_html
from .look_values import look_values
from .pdf_writer import header_cell_id

LAYOUT = "letter.typ"
PRODUCER = "imrgen"
STANDARDS = {"pdf/ua-1": ["ua-1"], "pdf/a-3b": ["a-3b", "ua-1"]}


def layout_file(templates: TemplateSet, family: str) -> Path | None:
    """The Typst layout of a family: letter.typ in the family or its ancestors, if any."""
    for directory in templates.search_path(family):
        candidate = directory / LAYOUT
        if candidate.is_file():
            return candidate
    return None


def ships_typst_layout(templates: TemplateSet, family: str) -> bool:
    """Whether the family is one imrgen ships, laid out by the package's own Typst file and
    styles: only then is Typst the default engine. A designer's family (its own HTML or CSS)
    renders with WeasyPrint, which reads that CSS."""
    if templates.styles.resolve() != STYLES_DIR.resolve():
        return False
    if templates.templates.resolve() != TEMPLATES_DIR.resolve():
        return False
    chain = templates.chain(family)
    package = TEMPLATES_DIR.resolve()
    if not all(f.directory.resolve().is_relative_to(package) for f in chain):
        return False
    layout = layout_file(templates, family)
    return layout is not None and layout.resolve().is_relative_to(package)


# -- the look --------------------------------------------------------------------------------


def typst_look(templates: TemplateSet, family: str) -> dict[str, Any]:
    """The look values the Typst layout reads (points, em, per cent), from the one definition
    of the look that the stylesheet also follows."""
    return look_values(templates, family)


# -- the letter's blocks ---------------------------------------------------------------------

# Lines break where Word breaks them (the look's break_after_hyphen and break_after_slash) and
# nowhere else inside a word. The WeasyPrint engine marks those places with a zero-width space
# and a WORD JOINER, which Typst would extract as text; here a word with punctuation inside is
# cut into pieces at the breaks Word allows, each piece an unbreakable box: a line may end
# between two boxes, never inside one.
# (A hyphen before a no-break space counts: UAX #14 lets a line break between the two.)
_INNER_PUNCTUATION = re.compile(r"[^\w\s](?=\S|\u00a0)")
_HYPHEN_BREAK = re.compile(r"(?<=[^\W_])-(?=[^\W_])")
_HYPHEN_SPACE = re.compile(r"(?<=[^\W_])- (?=[^\W_])")
_SLASH_BREAK = re.compile(r"/(?=\S)")
_SPACES = re.compile(r"[^\S\u00a0]+")  # white space as HTML collapses it (not a no-break space)


def _tokens(text: str, hyphens: bool, slashes: bool) -> list[tuple[str, bool]]:
    """The text as (piece, True), a piece that must stay whole, and (text, False), words and
    spaces that may break at their spaces. Neighbouring words and spaces are one plain piece:
    Typst breaks the lines and writes the file alike, with far fewer pieces to lay out.

    A word is what lies between two spaces; the words with punctuation inside are found with
    one search over the whole text (punctuation followed by a character that is not a space
    lies inside its word), and only those are cut."""
    words: list[tuple[int, int]] = []  # (start, end) of each word with punctuation inside
    for match in _INNER_PUNCTUATION.finditer(text):
        at = match.start()
        if words and at < words[-1][1]:
            continue  # in the word found last
        end = text.find(" ", at)
        words.append((text.rfind(" ", 0, at) + 1, len(text) if end < 0 else end))
    if not words:
        return [(text, False)] if text else []
    out: list[tuple[str, bool]] = []
    done = 0  # the end of the last word cut
    for start, end in words:
        if start > done:
            out.append((text[done:start], False))
        word = text[start:end]
        cuts = [m.end() for m in _HYPHEN_BREAK.finditer(word)] if hyphens else []
        if slashes:
            cuts += [m.end() for m in _SLASH_BREAK.finditer(word)]
        piece = 0
        for cut in sorted(set(cuts)):
            out.append((word[piece:cut], True))
            piece = cut
        out.append((word[piece:], True))
        done = end
    if done < len(text):
        out.append((text[done:], False))
    return out


def _inline(
    element: lxml.html.HtmlElement,
    style: dict[str, bool],
    out: list[tuple[str | None, dict[str, bool]]],
    look: dict[str, Any],
    context: dict[str, bool],
) -> None:
    """The element's text as (text, style) segments; a <br> is the segment None. Weights and
    styles as the print stylesheet sets them from the look."""
    out.append((element.text or "", style))
    for child in element:
        if isinstance(child.tag, str):
            if child.tag == "br":
                out.append((None, style))
            else:
                classes = set((child.get("class") or "").split())
                inner = dict(style)
                if child.tag in ("b", "strong"):
                    inner["bold"] = True
                if "label" in classes:
                    key = "credential_label_bold" if context.get("credential") else "label_bold"
                    inner["bold"] = bool(look[key])
                if "decision" in classes:
                    inner["bold"] = bool(look["decision_bold"])
                    inner["nowrap"] = True
                if child.tag in ("i", "em") or "role" in classes:
                    inner["italic"] = True
                _inline(child, inner, out, look, context)
        out.append((child.tail or "", style))


def _runs(
    element: lxml.html.HtmlElement,
    look: dict[str, Any],
    context: dict[str, bool] | None = None,
) -> list[dict[str, Any]]:
    """Inline text as HTML shows it: white space collapsed to one space (also across
    elements), none at the start or end of a line."""
    segments: list[tuple[str | None, dict[str, bool]]] = []
    _inline(element, {}, segments, look, context or {})
    hyphens = bool(look["body"]["break_after_hyphen"])
    slashes = bool(look["body"]["break_after_slash"])
    runs: list[dict[str, Any]] = []
    at_line_start = True
    for text, style in segments:
        if text is None:
            if runs and runs[-1].get("text", "").endswith(" "):
                runs[-1]["text"] = runs[-1]["text"].rstrip(" ")
            runs.append({"br": True})
            at_line_start = True
            continue
        text = _SPACES.sub(" ", text)  # a paragraph's run of spaces stays
        if hyphens and "- " in text:
            # "four- week": no break at that space, or the reader would take "four-" at a line
            # end for a word broken at its hyphen (as the WeasyPrint engine does it).
            text = _HYPHEN_SPACE.sub("-\u00a0", text)
        if at_line_start or (runs and runs[-1].get("text", "").endswith(" ")):
            text = text.lstrip(" ")
        if not text:
            continue
        runs.append({"text": text, **style})
        at_line_start = False
    if runs and "text" in runs[-1]:
        runs[-1]["text"] = runs[-1]["text"].rstrip(" ")
    out = []
    for run in runs:
        if "text" in run:
            text = run.pop("text")
            if not text:
                continue
            run["tokens"] = _tokens(text, hyphens, slashes)
        out.append(run)
    return out


def _plain(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


@dataclass(frozen=True)
class Node:
    """One element of the letter's structure: a Part or Sect that groups, or a leaf block."""

    tag: str  # "Part", "Sect", or a leaf: "Table", "H1", "H2", "P"
    children: tuple[Node, ...] = ()


def letter_blocks(
    html: str, look: dict[str, Any], letter: str = "public-body"
) -> tuple[list[dict[str, Any]], Node, str]:
    """(the blocks Typst lays out in order, the grouping around them, the document title).

    Each block carries the space around it as the print stylesheet (styles/print.css.j2) makes
    it from the same look: `pad` above it, which the top of a page keeps (CSS padding); `margin`
    above it, which the top of a page drops (CSS margin); and `gap` below it, the empty line
    that Word letters put after a paragraph, a real line that may end or start a page."""
    root = lxml.html.document_fromstring(html.encode("utf-8"))
    title_el = root.find(".//title")
    title = _plain(title_el) if title_el is not None else ""
    main = root.find(".//main")
    if main is None:
        raise RenderError("the letter's HTML has no <main> element")
    gap = float(look["body"]["paragraph_gap"])
    blocks: list[dict[str, Any]] = []
    margin = [0.0]  # the margin the next block gets (below a table, under a heading)

    def add(kind: str, pad: float, **rest: Any) -> dict[str, Any]:
        block = {"kind": kind, "pad": pad, "margin": margin[0], "gap": 0.0, **rest}
        blocks.append(block)
        margin[0] = 0.0
        return block

    def walk(element: lxml.html.HtmlElement, place: str) -> Node:
        """place: "main", "last" (main's last section), "final" (that one's last section, whose
        last paragraph has no empty line after it: the letter ends there), or "other"."""
        kids: list[Node] = []
        children = [e for e in element if isinstance(e.tag, str)]
        for index, child in enumerate(children):
            classes = set((child.get("class") or "").split())
            is_last = index == len(children) - 1
            if child.tag == "section":
                inner = "other"
                if is_last and place == "main":
                    inner = "last"
                elif is_last and place == "last":
                    inner = "final"
                kids.append(walk(child, inner))
                if "cover" in classes:
                    blocks.append({"kind": "pagebreak", "pad": 0.0, "margin": 0.0, "gap": 0.0})
                    margin[0] = 0.0
                continue
            if child.tag == "table":
                add("table", 0.0, rows=_table_rows(child, look))
                margin[0] = gap
                kids.append(Node("Table"))
            elif child.tag == "h1":
                role = "title" if "title" in classes else "heading"
                if "new-page" in classes:
                    blocks.append({"kind": "pagebreak", "pad": 0.0, "margin": 0.0, "gap": 0.0})
                    margin[0] = 0.0
                pad = float(look[role]["space_before"])
                if "several-items" in classes:
                    pad += float(look["several_items_summary_space"])
                add("h1", pad, role=role, runs=_runs(child, look))
                margin[0] = float(look[role]["space_after"])
                kids.append(Node("H1"))
            elif child.tag == "h2":
                block = add("h2", float(look["subheading"]["space_before"]), role="subheading")
                block["runs"] = _runs(child, look)
                block["gap"] = gap
                kids.append(Node("H2"))
            elif child.tag == "p":
                indent = GROUND_INDENT if "ground" in classes else 0.0
                context = {"credential": "credential" in classes}
                block = add("p", 0.0, runs=_runs(child, look, context), indent=indent)
                no_gap = bool({"credentials-intro", "credential", "letter-date"} & classes)
                if "credential" in classes and is_last:
                    no_gap = False  # p.credential:last-child keeps its empty line
                if place == "final" and is_last:
                    no_gap = True  # the letter's last paragraph
                block["gap"] = 0.0 if no_gap else gap
                kids.append(Node("P"))
        return Node("Sect" if element is not main else "Part", tuple(kids))

    grouping = walk(main, "main")
    return blocks, grouping, title


GROUND_INDENT = 21.6  # p.ground { margin-left: 0.3in } in the print stylesheet


def _table_rows(
    table: lxml.html.HtmlElement, look: dict[str, Any]
) -> list[list[dict[str, Any] | None]]:
    """The header's rows: (label, value) pairs left to right, None for a blank pair."""
    rows: list[list[dict[str, Any] | None]] = []
    for tr in table.iter("tr"):
        row: list[dict[str, Any] | None] = []
        for cell in (c for c in tr if isinstance(c.tag, str)):
            if cell.tag == "th":
                value = cell.getnext()
                row.append(
                    {
                        "label": _runs(cell, look),
                        "value": _runs(value, look) if value is not None else [],
                    }
                )
            elif "empty" in (cell.get("class") or "").split():
                span = cell.get("colspan", "1")
                row.extend([None] * max(1, int(span) // 2 if span.isdigit() else 1))
        rows.append(row)
    return rows


# -- the engine ------------------------------------------------------------------------------


def _footer(lang: str) -> list[str]:
    """The footer's words around the page numbers: [before, between, after]."""
    words = translations(lang).gettext("Page %(page)s of %(pages)s")
    before, _, rest = words.partition("%(page)s")
    between, _, after = rest.partition("%(pages)s")
    return [before, between, after]


_STARTED = threading.Event()  # a fact about this process, not a cache: see compiler_started


def compiler_started() -> bool:
    """Whether this process has run a Typst compiler. Its worker threads do not survive a fork,
    so a child forked after that would wait for them forever (the batch then spawns)."""
    return _STARTED.is_set()


class _Compiler:
    """One Typst compiler for one layout file (it keeps the parsed layout, fonts and caches
    between letters). A compiler is not reentrant, so each thread has its own."""

    def __init__(self, layout: Path, fonts: Path) -> None:
        font_book = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(fonts)]
        )
        self.compiler = typst.Compiler(
            str(layout), root=str(layout.parent), font_paths=font_book, ignore_system_fonts=True
        )
        _STARTED.set()


class _ThreadCompilers(threading.local):
    def __init__(self) -> None:
        self.compilers: dict[tuple[Path, Path], _Compiler] = {}


class TypstEngine:
    """Owns the Typst compilers, one per (layout, thread): renders in several threads never
    wait for one another. forget() drops them all (a designer saved a file)."""

    name = "typst"

    def __init__(self) -> None:
        self._threads = _ThreadCompilers()
        self._layouts: dict[tuple[TemplateSet, str], Path | None] = {}

    def forget(self) -> None:
        self._threads = _ThreadCompilers()
        self._layouts = {}

    def layout(self, templates: TemplateSet, family: str) -> Path | None:
        """layout_file, looked up once per (template set, family): it reads the family files."""
        key = (templates, family)
        if key not in self._layouts:
            self._layouts[key] = layout_file(templates, family)
        return self._layouts[key]

    def _compiler(self, layout: Path, fonts: Path) -> _Compiler:
        compilers = self._threads.compilers
        key = (layout.resolve(), fonts.resolve())
        found = compilers.get(key)
        if found is None:
            found = compilers[key] = _Compiler(*key)
        return found

    def write(self, case: Case, options: RenderOptions, variant: str, moment: datetime) -> bytes:
        family = options.family or case.edition.value
        layout = self.layout(options.templates, family)
        if layout is None:
            raise RenderError(
                f"template family '{family}' has no Typst layout ({LAYOUT}); use the"
                " weasyprint engine"
            )
        look = typst_look(options.templates, family)
        html = letter_html(case, options, [])
        blocks, grouping, title = letter_blocks(html, look, options.letter)
        letterhead = _letterhead(options.templates.styles, look["letterhead"]["image"])
        attached = case_to_json(case.model_copy(update={"parties": None}))
        letter = {
            "title": title,
            "lang": options.lang,
            "date": [moment.year, moment.month, moment.day],
            "footer": _footer(options.lang) if look["footer"][options.letter] else None,
            "letterhead": None if letterhead is None else True,
            "look": look,
            "blocks": blocks,
            "attachment": (
                {"name": ATTACHMENT_NAME, "description": ATTACHMENT_DESCRIPTION}
                if options.embed_data
                else None
            ),
        }
        compiler = self._compiler(layout, options.templates.styles / "fonts")
        inputs = {"letter": json.dumps(letter), "case": attached.decode("utf-8")}
        if letterhead is not None:
            inputs["letterhead"] = letterhead
        try:
            data = compiler.compiler.compile(
                format="pdf",
                sys_inputs=inputs,
                pdf_standards=STANDARDS[variant],  # type: ignore[arg-type]
                timestamp=moment,
            )
        except typst.TypstError as exc:
            raise RenderError(f"{case.stem}: Typst could not lay out the letter: {exc}") from None
        if not isinstance(data, bytes):
            raise RenderError(f"{case.stem}: Typst returned no PDF")
        return finish(data, blocks, grouping, look, moment if options.embed_data else None)


@cache
def _letterhead(styles: Path, image: str) -> str | None:
    """The letterhead image's bytes as a JSON array, for sys.inputs (which holds only text):
    the layout never reads a file itself. None when the look has no letterhead."""
    if not image:
        return None
    path = (styles / image).resolve()
    if not path.is_relative_to(styles.resolve()) or not path.is_file():
        raise RenderError(f"letterhead '{image}': not a file in {styles}")
    return json.dumps(list(path.read_bytes()))


ATTACHMENT_DESCRIPTION = "The case this letter was rendered from (imrgen)"


# -- what Typst cannot write: finished with pikepdf ------------------------------------------


def _kids(element: pikepdf.Dictionary) -> list[Any]:
    kids = element.get("/K")
    if kids is None:
        return []
    if isinstance(kids, pikepdf.Array):
        return list(kids)
    return [kids]


def _tagged(element: pikepdf.Dictionary) -> list[tuple[pikepdf.Dictionary, str]]:
    """The structure elements under this one, each with its type (/S). A marked-content id is
    a Python int, skipped without asking pikepdf: every question to it crosses into C++."""
    out = []
    for kid in _kids(element):
        if isinstance(kid, int) or not isinstance(kid, pikepdf.Dictionary):
            continue
        kind = kid.get("/S")
        if kind is not None:
            out.append((kid, str(kind)))
    return out


def _elements(element: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
    for kid, _ in _tagged(element):
        yield kid


def finish(
    data: bytes,
    blocks: list[dict[str, Any]],
    grouping: Node,
    look: dict[str, Any],
    attached_on: datetime | None,
) -> bytes:
    """Typst's PDF with what only pikepdf can add; `attached_on` dates the attached case."""
    pdf = pikepdf.open(io.BytesIO(data))
    versioned = _set_creator(pdf)
    pages = [page.obj for page in pdf.pages]
    _set_font_heights(pages, look)
    tree = pdf.Root.get("/StructTreeRoot")
    if not isinstance(tree, pikepdf.Dictionary):
        tree = None
    _set_page_bodies(pages, tree, look)
    if tree is not None:
        rows = [b["rows"] for b in blocks if b["kind"] == "table"]
        if not _group(pdf, tree, grouping, rows):
            _set_element_pages(tree)
    if attached_on is not None:
        _relate_attachments(pdf, attached_on)
    out = io.BytesIO()
    # The XMP already names the PDF version written (none of the edits above needs a newer
    # one): pikepdf need not parse and write the packet again to say so. Objects go into
    # compressed object streams (PDF 1.5; PDF/A-3 and PDF/UA-1 allow them): the save takes
    # about 0.5 ms instead of 2.3-2.9, and a letter is 17% smaller.
    pdf.save(
        out,
        deterministic_id=True,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        linearize=False,
        fix_metadata_version=not versioned,
    )
    return out.getvalue()


def _fill_pages(element: pikepdf.Dictionary) -> Any:
    """The element's page (its own /Pg, else its first content's), given to every structure
    element under it that has none; one pass over the tree."""
    own = element.get("/Pg")
    found = None
    for kid in _kids(element):
        if isinstance(kid, int) or not isinstance(kid, pikepdf.Dictionary):
            continue
        page = _fill_pages(kid)
        if found is None:
            found = page
    if own is not None:
        return own
    if found is not None and "/S" in element:
        element["/Pg"] = found
    return found


def _set_element_pages(tree: pikepdf.Dictionary) -> None:
    """Give every structure element that Typst leaves without one the /Pg of its first
    content: a table, its body and rows then say which page they are on, as WeasyPrint's do,
    and a checker that locates elements by page (outloud's TBL-014 on the header's ruled grid)
    finds the table where its cells are. (The grouping below does this as it builds the tree;
    this is for a tree it leaves as Typst wrote it.)"""
    for element in _elements(tree):
        _fill_pages(element)


_CREATOR_TOOL = re.compile(rb"<xmp:CreatorTool>[^<]*</xmp:CreatorTool>")
_PDF_NAMESPACE = b'xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
_DESCRIPTION_END = b"</rdf:Description>"


def _set_creator(pdf: pikepdf.Pdf) -> bool:
    """Typst names itself the creator; the file is imrgen's (Info and XMP must agree).

    Typst's XMP packet is one rdf:Description with the pdf namespace declared and no
    pdf:Producer: the two values are written into its text directly (parsing and writing the
    packet again through pikepdf's metadata editor costs more than the rest of the finishing
    together). A packet of any other shape goes through that editor. True when the packet
    names the file's PDF version as it will be saved."""
    pdf.docinfo["/Creator"] = PRODUCER
    pdf.docinfo["/Producer"] = PRODUCER
    stream = pdf.Root.get("/Metadata")
    if isinstance(stream, pikepdf.Stream) and "/Filter" not in stream:
        xmp = stream.read_bytes()
        tool = f"<xmp:CreatorTool>{PRODUCER}</xmp:CreatorTool>".encode()
        edited, tools = _CREATOR_TOOL.subn(tool, xmp)
        if (
            tools == 1
            and xmp.count(_DESCRIPTION_END) == 1
            and _PDF_NAMESPACE in xmp
            and b"pdf:Producer" not in xmp
        ):
            producer = f"<pdf:Producer>{PRODUCER}</pdf:Producer>".encode()
            stream.write(edited.replace(_DESCRIPTION_END, producer + _DESCRIPTION_END))
            version = f"<pdf:PDFVersion>{pdf.pdf_version}</pdf:PDFVersion>".encode()
            return version in xmp
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["xmp:CreatorTool"] = PRODUCER
        meta["pdf:Producer"] = PRODUCER
    return False


def _set_font_heights(pages: list[pikepdf.Dictionary], look: dict[str, Any]) -> None:
    """Typst writes a subset font's /Ascent, /Descent and /FontBBox from the glyphs it kept; the PDF
    reader measures lines in the font's ascent (its contract, imrgen/readers/pdf.py), so give
    the shipped faces their own (hhea) ascent and descent, as WeasyPrint writes them."""
    heights = {
        font["family"].replace(" ", ""): look["metrics"][role]
        for role, font in look["fonts"].items()
    }
    seen: set[tuple[int, int]] = set()  # fonts and descriptors done (most pages share them)
    for page in pages:
        resources = page.get("/Resources")
        fonts = resources.get("/Font") if isinstance(resources, pikepdf.Dictionary) else None
        if not isinstance(fonts, pikepdf.Dictionary):
            continue
        for font in fonts.values():
            if font.is_indirect:
                if font.objgen in seen:
                    continue
                seen.add(font.objgen)
            for part in [font, *font.get("/DescendantFonts", [])]:
                descriptor = part.get("/FontDescriptor")
                if not isinstance(descriptor, pikepdf.Dictionary) or descriptor.objgen in seen:
                    continue
                seen.add(descriptor.objgen)
                name = str(descriptor.get("/FontName", "")).lstrip("/").split("+")[-1]
                metrics = heights.get(name.split("-")[0])
                if metrics is not None:
                    ascent, descent = (
                        round(metrics["ascent"] * 1000),
                        -round(metrics["descent"] * 1000),
                    )
                    descriptor["/Ascent"], descriptor["/Descent"] = ascent, descent
                    # PDFium's character boxes reach as high as the font's bounding box.
                    box = [float(v) for v in descriptor.get("/FontBBox", [0, 0, 1000, 0])]
                    descriptor["/FontBBox"] = pikepdf.Array(
                        [box[0], min(box[1], descent), box[2], max(box[3], ascent)]
                    )


def _set_page_bodies(
    pages: list[pikepdf.Dictionary], tree: pikepdf.Dictionary | None, look: dict[str, Any]
) -> None:
    """Every page's ArtBox is its body, inside the margins (on page 1 under the letterhead),
    and, where the page's first line starts a block rather than continuing the paragraph of
    the page before, an empty line higher: the PDF reader's contract (imrgen/readers/pdf.py),
    as the WeasyPrint engine marks it. Everything outside it is page furniture."""
    page = look["page"]
    margin = page["margin"]
    gap = float(look["body"]["paragraph_gap"])
    first_top = max(margin["top"], look["letterhead"]["body_top"])
    blocks = _page_blocks(pages, tree)
    previous_last: tuple[int, int] | None = None
    for number, each in enumerate(pages):
        top = page["height"] - (first_top if number == 0 else margin["top"])
        first, last = blocks[number]
        if number > 0 and (first is None or first != previous_last):
            top += gap
        if last is not None:
            previous_last = last
        box = [margin["left"], margin["bottom"], page["width"] - margin["right"], top]
        each["/ArtBox"] = pikepdf.Array([round(v, 3) for v in box])


_GROUPS = ("/Document", "/Part", "/Sect", "/Art", "/Div")


def _page_blocks(
    pages: list[pikepdf.Dictionary], tree: pikepdf.Dictionary | None
) -> list[tuple[tuple[int, int] | None, tuple[int, int] | None]]:
    """For each page, the block elements (a paragraph, heading or table: the element right
    under Document, Part or Sect) of its first and last marked content, as object ids."""
    nothing: tuple[tuple[int, int] | None, tuple[int, int] | None] = (None, None)
    if tree is None or "/ParentTree" not in tree:
        return [nothing for _ in pages]
    nums = list(tree.ParentTree.get("/Nums", pikepdf.Array()))
    owners = {int(nums[i]): nums[i + 1] for i in range(0, len(nums) - 1, 2)}

    def block_of(element: Any) -> tuple[int, int] | None:
        while isinstance(element, pikepdf.Dictionary):
            parent = element.get("/P")
            if not isinstance(parent, pikepdf.Dictionary) or parent.get("/S") in _GROUPS:
                return element.objgen
            element = parent
        return None

    def first_block(refs: pikepdf.Array, order: Iterable[int]) -> tuple[int, int] | None:
        """The block of the first of these references that has one. Only the first and the last
        content of a page count, so the references are read one at a time from either end (a
        page has a few hundred), not all of them."""
        return next((b for b in (block_of(refs[i]) for i in order) if b is not None), None)

    out = []
    for each in pages:
        key = each.get("/StructParents")
        refs = owners.get(int(key)) if key is not None else None
        if not isinstance(refs, pikepdf.Array) or len(refs) == 0:
            out.append(nothing)
            continue
        count = len(refs)
        out.append((first_block(refs, range(count)), first_block(refs, range(count - 1, -1, -1))))
    return out


def _group(
    pdf: pikepdf.Pdf,
    tree: pikepdf.Dictionary,
    grouping: Node,
    rows: list[list[list[dict[str, Any] | None]]],
) -> bool:
    """Typst lays the letter's blocks out flat under Document; group them as the HTML does
    (the letter a Part, each section a Sect), make the case header's labels row headers, and
    give every structure element without a /Pg the page of its first content (see
    _set_element_pages), all in the one pass that builds the tree. False when the tree is not
    one Document to group (it is left as it is)."""
    documents = _tagged(tree)
    if len(documents) != 1 or documents[0][1] != "/Document":
        return False
    document = documents[0][0]
    flat = _tagged(document)
    leaves = list(_leaves(grouping))
    # The layout sets an item's heading as a paragraph (so that it may break over a page).
    typst_tags = ["/P" if tag == "H2" else "/" + tag for tag in leaves]
    if [kind for _, kind in flat] != typst_tags:
        raise RenderError(
            "the Typst PDF's structure does not follow the letter: "
            f"{[kind for _, kind in flat]} for {leaves}"
        )
    position = iter(flat)
    tables = iter(rows)

    def build(node: Node, parent: pikepdf.Object) -> tuple[pikepdf.Object, Any]:
        """The element for this node and its page."""
        if not node.children:
            element, _ = next(position)
            element["/P"] = parent
            element["/S"] = pikepdf.Name("/" + node.tag)
            if node.tag == "Table":
                parts = _tagged(element)
                _row_headers(pdf, parts, next(tables))
                _table_body(pdf, element, parts)
            return element, _fill_pages(element) if node.tag == "Table" else _page_of(element)
        group = pdf.make_indirect(
            pikepdf.Dictionary(S=pikepdf.Name("/" + node.tag), P=parent, K=pikepdf.Array())
        )
        built = [build(child, group) for child in node.children]
        group["/K"] = pikepdf.Array([element for element, _ in built])
        page = next((page for _, page in built if page is not None), None)
        if page is not None:
            group["/Pg"] = page
        return group, page

    part, page = build(grouping, document)
    document["/K"] = pikepdf.Array([part])
    if page is not None and "/Pg" not in document:
        document["/Pg"] = page
    return True


def _page_of(element: pikepdf.Dictionary) -> Any:
    """A paragraph's or heading's page: Typst gives it one; else that of its first content."""
    page = element.get("/Pg")
    return page if page is not None else _fill_pages(element)


def _table_body(
    pdf: pikepdf.Pdf, table: pikepdf.Dictionary, parts: list[tuple[pikepdf.Dictionary, str]]
) -> None:
    """The rows in a TBody, as the WeasyPrint engine (and HTML's table model) groups them."""
    rows = [e for e, kind in parts if kind == "/TR"]
    if not rows or len(rows) != len(_kids(table)):
        return
    body = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem, S=pikepdf.Name.TBody, P=table, K=pikepdf.Array(rows)
        )
    )
    for row in rows:
        row["/P"] = body
    table["/K"] = pikepdf.Array([body])


def _leaves(node: Node) -> Iterator[str]:
    if not node.children and node.tag not in ("Part", "Sect"):
        yield node.tag
    for child in node.children:
        yield from _leaves(child)


def _row_headers(
    pdf: pikepdf.Pdf,
    parts: list[tuple[pikepdf.Dictionary, str]],
    rows: list[list[dict[str, Any] | None]],
) -> None:
    """Typst 0.15 writes every cell as TD (row headers need its accessibility extras, which the
    Python binding cannot enable): a label becomes a TH that heads its row, and each data cell
    of the row names the labels before it, as the WeasyPrint engine writes them. `parts`: the
    table's elements."""
    trs = [e for e, kind in parts if kind == "/TR"]
    for part, kind in parts:
        if kind in ("/THead", "/TBody", "/TFoot"):
            trs += [e for e, inner in _tagged(part) if inner == "/TR"]
    named = 0
    ids: list[tuple[str, pikepdf.Dictionary]] = []
    for tr, row in zip(trs, rows, strict=False):
        cells = [e for e, kind in _tagged(tr) if kind in ("/TD", "/TH")]
        # A pair is a label cell and a value cell; a blank pair is one cell over two columns.
        kinds = [k for pair in row for k in (("blank",) if pair is None else ("label", "value"))]
        typed = list(zip(cells, kinds, strict=False))
        # Named with letters, as the WeasyPrint engine names them: the leak check reads a PDF's
        # strings squeezed together, where digits could spell a date or a number of the case.
        heads = []
        for cell, kind in typed:
            if kind == "label":
                name = header_cell_id(named)
                heads.append(pikepdf.String(name))
                ids.append((name, cell))
                named += 1
        labels = iter(heads)
        for cell, kind in typed:
            if kind == "label":
                cell["/S"] = pikepdf.Name.TH
                cell["/ID"] = next(labels)
                cell["/A"] = pikepdf.Dictionary(O=pikepdf.Name.Table, Scope=pikepdf.Name.Row)
                continue
            attributes = pikepdf.Dictionary(O=pikepdf.Name.Table)
            if heads:
                attributes["/Headers"] = pikepdf.Array(list(heads))
            if kind == "blank":
                attributes["/ColSpan"] = 2
            cell["/A"] = attributes
    if ids:
        tree = pdf.Root.StructTreeRoot
        names = pikepdf.Array()
        for name, cell in sorted(ids, key=lambda item: item[0]):
            names.append(pikepdf.String(name))
            names.append(cell)
        tree["/IDTree"] = pdf.make_indirect(pikepdf.Dictionary(Names=names))


def _relate_attachments(pdf: pikepdf.Pdf, moment: datetime) -> None:
    """The embedded case is the letter's data (/AFRelationship /Data, listed in the catalog's
    /AF; Typst writes the relationship only under PDF/A-3), dated as the letter is."""
    day = pikepdf.String(f"D:{moment:%Y%m%d%H%M%S}Z")
    names = pdf.Root.get("/Names")
    if names is None or "/EmbeddedFiles" not in names:
        return
    specs = []
    files = names.EmbeddedFiles.get("/Names", pikepdf.Array())
    for i in range(1, len(files), 2):
        spec = files[i]
        spec["/AFRelationship"] = pikepdf.Name.Data
        stream = spec.EF.F
        params = stream.get("/Params", pikepdf.Dictionary())
        params["/CreationDate"] = day
        params["/ModDate"] = day
        stream["/Params"] = params
        specs.append(spec)
    pdf.Root["/AF"] = pikepdf.Array(specs)
