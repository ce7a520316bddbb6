"""PDF: the letter that is mailed, through WeasyPrint from the same HTML as the html writer and
the stylesheet generated from the family's look (imrgen.letter.look, styles/print.css.j2).
Accessible by default (PDF/UA-1, tagged), archival on request (PDF/A-3b with the case attached
as JSON), fonts shipped and subset, the same case giving the same bytes."""

from __future__ import annotations

import io
import mimetypes
import re
import threading
from collections.abc import Iterator
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pydyf
import weasyprint
from weasyprint.css import ColorProfile
from weasyprint.formatting_structure import boxes
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from ..case.embedding import ATTACHMENT_NAME, case_to_json
from ..case.model import Case
from ..errors import RenderError
from ..letter.caches import DEFAULT_CACHE, STYLES, RenderCache
from ..letter.i18n import translations
from ..letter.look import Look, load_look, print_css
from ..letter.templates import TemplateSet
from . import RenderOptions, letter_html
from .pdf_writer import forget_styles, header_cell_id

PRODUCER = "imrgen"


class FetchRefused(ValueError):
    """A URL outside the allowed folders: rendering stops rather than reach it."""


class RestrictedFetcher(URLFetcher):  # type: ignore[misc]
    """WeasyPrint's URL fetcher, reduced to files inside a few folders (the template set's styles
    and templates). No network, no data: URLs, nothing else on disk. Every URL asked for is
    kept in `requested`, so a test can see what rendering tried to load."""

    def __init__(self, roots: tuple[Path, ...]) -> None:
        # fail_on_errors: a refused URL stops the render instead of being skipped with a warning.
        super().__init__(allowed_protocols={"file"}, fail_on_errors=True)
        self.roots = tuple(r.resolve() for r in roots)
        self.requested: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        self.requested.append(url)
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"refused to load '{url}': only the package's own files")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots) or not path.is_file():
            raise FetchRefused(f"refused to load '{url}': not a file in {_names(self.roots)}")
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": media_type}
        )


def _names(roots: tuple[Path, ...]) -> str:
    return ", ".join(str(r) for r in roots)


def allowed_roots(templates: TemplateSet) -> tuple[Path, ...]:
    roots = [templates.styles, templates.templates]
    if templates.user_templates is not None:
        roots.append(templates.user_templates)
    return tuple(roots)


# WeasyPrint pitfall: every CSS object of one document must share the FontConfiguration that
# lays it out, parsing @font-face copies the font files each time, and a font map is not safe
# to share between threads rendering at once. So each thread has one FontConfiguration and
# the stylesheets parsed for it: no lock between renders, and no environment variable changed.


class ShippedFontConfiguration(FontConfiguration):  # type: ignore[misc]
    """WeasyPrint's FontConfiguration over an empty Fontconfig configuration, which knows no
    font but the ones the stylesheet's @font-face rules ship: a character those fonts lack
    prints as a missing-glyph box (and still extracts as itself), never in some font of this
    machine that another machine does not have. WeasyPrint 70's __init__, with FcConfigCreate
    (no configuration file, no fonts) where it loads the machine's configuration."""

    def __init__(self) -> None:
        from weasyprint.text.ffi import ffi, fontconfig, gobject, pangoft2

        _declare_config_create(ffi)
        self._config = fontconfig.FcConfigCreate()
        self.font_map = ffi.gc(pangoft2.pango_ft2_font_map_new(), gobject.g_object_unref)
        pangoft2.pango_fc_font_map_set_config(
            ffi.cast("PangoFcFontMap *", self.font_map), self._config
        )
        fontconfig.FcConfigDestroy(self._config)  # the font map keeps its own reference
        self._folder = None
        self.strut_layouts: dict[Any, Any] = {}
        self.font_features: dict[Any, Any] = {}


_DECLARED: list[bool] = []


def _declare_config_create(ffi: Any) -> None:
    """WeasyPrint's cffi declarations lack FcConfigCreate; declare it once."""
    if not _DECLARED:
        ffi.cdef("FcConfig * FcConfigCreate (void);")
        _DECLARED.append(True)


class _ThreadFonts(threading.local):
    def __init__(self) -> None:
        self.fonts: FontConfiguration | None = None


_PER_THREAD = _ThreadFonts()


def font_config() -> FontConfiguration:
    """This thread's one FontConfiguration (see ShippedFontConfiguration)."""
    if _PER_THREAD.fonts is None:
        _PER_THREAD.fonts = ShippedFontConfiguration()
    return _PER_THREAD.fonts


# The output intent of PDF/A. WeasyPrint opens its sRGB profile for every PDF/A it writes and
# never closes the file, and writes the profile as littleCMS re-serializes it, which is not the
# same bytes twice in one process. This one is read once, closed, and written as shipped.
OUTPUT_INTENT = "imrgen-srgb"


class ShippedProfile(ColorProfile):  # type: ignore[misc]
    def __init__(self, data: bytes, src: str) -> None:
        super().__init__(io.BytesIO(data), src, "relative-colorimetric", (["r"], ["g"], ["b"]))
        self._data = data

    @property
    def content(self) -> bytes:
        return self._data


@cache
def srgb_profile() -> ShippedProfile:
    data = (resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
    return ShippedProfile(data, "sRGB2014.icc")


@cache
def fetcher(templates: TemplateSet) -> RestrictedFetcher:
    return RestrictedFetcher(allowed_roots(templates))


def stylesheets(
    templates: TemplateSet,
    lang: str,
    family: str = "2015",
    letter: str = "public-body",
    cache: RenderCache = DEFAULT_CACHE,
) -> tuple[weasyprint.CSS, ...]:
    """The print stylesheet generated from the family's look (imrgen.letter.look), plus the footer's
    words in the letter's language where the look gives this letter a footer: parsed once per
    thread (for its FontConfiguration, which the key holds) and kept in `cache`."""
    fonts = font_config()
    return cache.get(
        STYLES,
        (fonts, templates, lang, family, letter),
        lambda: _parse_stylesheets(templates, lang, family, letter),
    )


def _parse_stylesheets(
    templates: TemplateSet, lang: str, family: str, letter: str
) -> tuple[weasyprint.CSS, ...]:
    base_url = templates.styles.resolve().as_uri() + "/"
    texts = [print_css(templates, family, letter)]
    if load_look(templates, family).footer[letter]:  # type: ignore[index]
        texts.append(_footer_css(lang))
    return tuple(
        weasyprint.CSS(
            string=text,
            base_url=base_url,
            url_fetcher=fetcher(templates),
            font_config=font_config(),
        )
        for text in texts
    )


def _footer_css(lang: str) -> str:
    """The running footer "Page X of Y" as a CSS content value, translated like the templates."""
    words = translations(lang).gettext("Page %(page)s of %(pages)s")
    pieces: list[str] = []
    rest = words
    for marker, counter in (("%(page)s", "counter(page)"), ("%(pages)s", "counter(pages)")):
        before, _, rest = rest.partition(marker)
        pieces += [_css_string(before), counter]
    pieces.append(_css_string(rest))
    content = " ".join(p for p in pieces if p != '""')
    return f"@page {{ @bottom-center {{ content: {content}; }} }}"


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Line breaks as Word makes them, for the PDF only (never in html, txt or md output): a
# hyphen between two letters or digits may end a line ("10-30-" / "2016"), which the layout
# engine (UAX #14) does not allow before a digit, so a ZERO WIDTH SPACE offers the break; after a
# slash or any other dash Word does not break ("PT/OT"), so a WORD JOINER forbids it. Neither is
# extracted from WeasyPrint's output: it draws no glyph for them.
_HYPHEN_BREAK = re.compile(r"(?<=[^\W_])-(?=[^\W_])")
_HYPHEN_SPACE = re.compile(r"(?<=[^\W_])- (?=[^\W_])")
_GLUED_BREAK = re.compile(r"([/\-\u2010\u2013\u2014])(?=[^\s<\u200b\u2060])")
_TEXT = re.compile(r">([^<]+)<")
BREAK_OPPORTUNITY = "\u200b"
NO_BREAK = "\u2060"


def printable(html: str, look: Look | None = None) -> str:
    """The HTML as WeasyPrint should print it, with lines that break where Word breaks them.
    Only the text of the body changes, never the markup."""
    head, body_tag, body = html.partition("<body")
    hyphens = look.body.break_after_hyphen if look is not None else False
    slashes = look.body.break_after_slash if look is not None else False

    def text(match: re.Match[str]) -> str:
        words = match.group(1)
        if hyphens:
            words = _HYPHEN_BREAK.sub("-" + BREAK_OPPORTUNITY, words)
            # "four- week": no break at that space, or the reader would take "four-" at a line
            # end for a word broken at its hyphen.
            words = _HYPHEN_SPACE.sub("-" + NO_BREAK + "\u00a0", words)

        def glue(found: re.Match[str]) -> str:
            mark = found.group(1)
            return mark if (slashes and mark == "/") else mark + NO_BREAK

        return ">" + _GLUED_BREAK.sub(glue, words) + "<"

    return head + body_tag + _TEXT.sub(text, body)


def _pdf_date(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _attachment(case: Case, moment: datetime) -> weasyprint.Attachment:
    """The case as JSON, less its parties: the letter names no one, and neither does its file."""
    return weasyprint.Attachment(
        string=case_to_json(case.model_copy(update={"parties": None})),
        name=ATTACHMENT_NAME,
        description="The case this letter was rendered from (imrgen)",
        created=moment,
        modified=moment,
        relationship="Data",
    )


def _references(value: Any) -> Iterator[int]:
    """The object numbers a value points to: a reference (b"12 0 R"), or an array of them,
    which pydyf writes either as such items or flat (Kids: [12, 0, "R", 14, 0, "R"])."""
    items = value if isinstance(value, list) else [value]
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, int) and items[i + 2 : i + 3] == ["R"]:
            yield item
            i += 3
            continue
        text = item.decode() if isinstance(item, bytes) else item
        if isinstance(text, str) and text.endswith(" R"):
            yield int(text.split()[0])
        i += 1


def mark_margin_boxes_as_artifacts(document: weasyprint.Document, pdf: pydyf.PDF) -> None:
    """WeasyPrint 70 draws @page margin boxes as tagged /Span content whose structure elements
    it leaves out of the tree ("Artifact is only allowed in PDF 2.0"), so a checker sees
    content that is neither in the tree nor an artifact. Turn that content into pagination
    artifacts: page numbers are page furniture, not something a screen reader should say."""
    root_ref = pdf.catalog.get("StructTreeRoot")
    if root_ref is None:
        return
    objects = pdf.objects
    root = objects[next(_references(root_ref))]
    reachable: set[int] = set()
    todo = list(_references(root["K"]))
    while todo:
        number = todo.pop()
        if number in reachable:
            continue
        reachable.add(number)
        element = objects[number]
        if isinstance(element, dict) and "K" in element:
            todo.extend(_references(element["K"]))
    parent_tree = objects[next(_references(root["ParentTree"]))]
    nums = parent_tree["Nums"]
    streams = {
        index: objects[next(_references(page["Contents"]))]
        for index, page in enumerate(objects[n] for n in _references(pdf.pages["Kids"]))
    }
    for key, refs in zip(nums[::2], nums[1::2], strict=True):
        if key not in streams or not isinstance(refs, list):
            continue  # an annotation's entry, not a page's
        orphans = set()
        for mcid, ref in enumerate(refs):
            if not any(n in reachable for n in _references(ref)):
                orphans.add(mcid)
                refs[mcid] = "null"
        if orphans:
            _rewrite_marked_content(streams[key], orphans)


def _rewrite_marked_content(stream: pydyf.Stream, mcids: set[int]) -> None:
    """'/Span <</MCID n>> BDC' -> '/Artifact <</Type /Pagination ...>> BDC' for these MCIDs.
    WeasyPrint paints the margin boxes last, so the search runs from the end."""
    ops = stream.stream
    left = set(mcids)
    for i in range(len(ops) - 1, 0, -1):
        op = ops[i]
        if type(op) is pydyf.Dictionary and op.get("MCID") in left:
            left.discard(op["MCID"])
            ops[i - 1] = "/Artifact"
            ops[i] = pydyf.Dictionary({"Type": "/Pagination", "Subtype": "/Footer"})
            if not left:
                return


def _text_lines(box: Any, block: Any = None) -> Iterator[tuple[Any, Any]]:
    """(the element of the block a line belongs to, the line) for every line that shows text,
    in order down the page; margin boxes left out."""
    if isinstance(box, boxes.LineBox):
        if any(isinstance(b, boxes.TextBox) and b.text.strip() for b in box.descendants()):
            yield (block.element if block is not None else None), box
        return
    if isinstance(box, boxes.ParentBox):
        for child in box.children:
            if not isinstance(child, boxes.MarginBox):
                yield from _text_lines(child, box if isinstance(child, boxes.LineBox) else block)


def mark_page_bodies(document: weasyprint.Document, pdf: pydyf.PDF, gap: float = 0.0) -> None:
    """Give every page an /ArtBox: the page body, inside the margins. The reader takes it as the
    place where a paragraph continued from the page before would start, and everything outside
    it (the footer) as page furniture. Where a page's first line starts a block, its body starts
    `gap` higher (the empty line the page before ended with), so the reader can tell
    (imrgen/readers/pdf.py: the contract)."""
    pages = [pdf.objects[n] for n in _references(pdf.pages["Kids"])]
    previous_element: Any = None
    for index, (page, pdf_page) in enumerate(zip(document.pages, pages, strict=True)):
        box = page._page_box  # WeasyPrint keeps the laid-out page box here; no public accessor
        lines = list(_text_lines(box))
        starts_block = index > 0 and (not lines or lines[0][0] is not previous_element)
        if lines:
            previous_element = lines[-1][0]
        scale = 0.75  # PDF points per CSS pixel
        left = box.content_box_x() * scale
        right = (box.content_box_x() + box.width) * scale
        top = (page.height - box.content_box_y()) * scale + (gap if starts_block else 0.0)
        bottom = (page.height - box.content_box_y() - box.height) * scale
        pdf_page["ArtBox"] = pydyf.Array([round(v, 3) for v in (left, bottom, right, top)])


def _structure_elements(pdf: pydyf.PDF) -> Iterator[pydyf.Dictionary]:
    """Every element of the structure tree, parents before children."""
    root_ref = pdf.catalog.get("StructTreeRoot")
    if root_ref is None:
        return
    todo = list(_references(pdf.objects[next(_references(root_ref))]["K"]))
    seen: set[int] = set()
    while todo:
        number = todo.pop(0)
        if number in seen:
            continue
        seen.add(number)
        element = pdf.objects[number]
        if isinstance(element, dict):
            yield element
            todo.extend(_references(element.get("K", [])))


def scope_header_cells(pdf: pydyf.PDF) -> None:
    """WeasyPrint links each table cell to its headers (/Headers) but gives a header cell no
    /Scope. The case header's labels head their row: a header cell that a data cell of its own
    row names is a row header, any other a column header."""
    for row in _structure_elements(pdf):
        if row.get("S") != "/TR":
            continue
        cells = [pdf.objects[n] for n in _references(row.get("K", []))]
        named = {
            str(h) for c in cells if c.get("S") == "/TD" for h in c.get("A", {}).get("Headers", [])
        }
        for cell in cells:
            if cell.get("S") == "/TH":
                scope = "/Row" if str(cell.get("ID")) in named else "/Column"
                cell.setdefault("A", pydyf.Dictionary({"O": "/Table"}))["Scope"] = scope


def name_header_cells(pdf: pydyf.PDF) -> None:
    """WeasyPrint names header cells by numbers ("48-1-0"); the leak check reads a PDF's strings
    squeezed together, where such runs of digits can spell a date or a number of the case. Give
    them names of letters instead ("header-b"), the same in their cells' /Headers."""
    names: dict[str, pydyf.String] = {}
    cells = [e for e in _structure_elements(pdf) if e.get("S") in ("/TH", "/TD")]
    for cell in cells:
        if cell.get("S") == "/TH" and "ID" in cell:
            new = pydyf.String(header_cell_id(len(names)))
            names[str(cell["ID"])] = new
            cell["ID"] = new
    for cell in cells:
        attributes = cell.get("A")
        if isinstance(attributes, dict) and "Headers" in attributes:
            attributes["Headers"] = pydyf.Array(names.get(str(h), h) for h in attributes["Headers"])


def relate_attachments(pdf: pydyf.PDF) -> None:
    """The embedded case is the letter's data (/AFRelationship /Data), listed once in the
    catalog's /AF (WeasyPrint's PDF/A-3 code lists it twice)."""
    filespecs = [
        obj
        for obj in pdf.objects
        if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Filespec"
    ]
    for filespec in filespecs:
        filespec["AFRelationship"] = "/Data"
    if filespecs:
        pdf.catalog["AF"] = pydyf.Array(sorted({f.reference for f in filespecs}))


def _spine(page_box: Any, last: bool) -> list[Any]:
    """The boxes a page's structure elements come from, along its last (or first) branch:
    below the page, <html> and <body> (which make no element), down to the block whose
    children are lines."""
    out: list[Any] = []
    box = next((b for b in page_box.children if not isinstance(b, boxes.MarginBox)), None)
    while box is not None and isinstance(box, boxes.ParentBox):
        # A table's wrapper box and the table box make one element between them.
        same = bool(out) and out[-1].element is box.element and box.element is not None
        if box.element_tag not in ("html", "body") and not same:
            out.append(box)
        children = box.children
        if not children or isinstance(children[0], boxes.LineBox):
            break
        box = children[-1 if last else 0]
    return out


def join_split_elements(document: weasyprint.Document, pdf: pydyf.PDF) -> None:
    """WeasyPrint builds each page's structure on its own, so an element that runs over a page
    break (the letter, a section, a paragraph) becomes one element per page, and a screen
    reader announces a paragraph that is half of one. Where the first boxes of a page continue
    the last boxes of the page before (the same HTML element), join their elements."""
    root_ref = pdf.catalog.get("StructTreeRoot")
    if root_ref is None:
        return
    objects = pdf.objects
    document_element = objects[next(_references(objects[next(_references(root_ref))]["K"]))]
    page_index = {pdf.page_references[i]: i for i in range(len(document.pages))}

    def pages_of(kids: list[Any]) -> list[tuple[int, Any]]:
        """(page number, kid) for the kids that are elements (not marked-content ids)."""
        return [
            (page_index[objects[next(_references(kid))].get("Pg")], kid)
            for kid in kids
            if not isinstance(kid, int)
        ]

    for page in range(len(document.pages) - 1):
        ends = _spine(document.pages[page]._page_box, last=True)
        starts = _spine(document.pages[page + 1]._page_box, last=False)
        parent = document_element
        for end_box, start_box in zip(ends, starts, strict=False):
            if end_box.element is None or end_box.element is not start_box.element:
                break
            # Elements of earlier pages may already have been joined into this parent.
            kids = pages_of(parent["K"])
            before = [kid for on, kid in kids if on <= page]
            after = [kid for on, kid in kids if on == page + 1]
            if not before or not after:
                break
            kept, dropped = objects[next(_references(before[-1]))], after[0]
            gone = objects[next(_references(dropped))]
            if kept.get("S") != gone.get("S"):
                break
            parent["K"].remove(dropped)
            for kid in gone["K"]:
                kept["K"].append(kid)
                if not isinstance(kid, int):
                    objects[next(_references(kid))]["P"] = kept.reference
            gone["K"] = pydyf.Array()
            parent = kept


def flatten_anonymous_blocks(pdf: pydyf.PDF) -> None:
    """A paragraph or heading with a block child (the empty line after it: styles/print.css.j2)
    holds its lines in an anonymous block, which WeasyPrint tags as a second /P inside the /P
    (a /H2 inside the /H2). Fold such a child into its parent: one element per paragraph."""
    objects = pdf.objects
    folded: dict[int, Any] = {}  # a folded child's object number -> its parent's reference
    for element in list(_structure_elements(pdf)):
        kind = element.get("S")
        if kind not in ("/P", "/H1", "/H2") or "K" not in element:
            continue
        kids: list[Any] = []
        changed = False
        for kid in element["K"]:
            if isinstance(kid, int):
                kids.append(kid)
                continue
            number = next(_references(kid), None)
            child = objects[number] if number is not None else None
            if isinstance(child, dict) and child.get("S") == kind:
                changed = True
                for grandchild in child.get("K", []):
                    kids.append(grandchild)
                    if not isinstance(grandchild, int):
                        objects[next(_references(grandchild))]["P"] = element.reference
                child["K"] = pydyf.Array()
                child["S"] = "/NonStruct"
                folded[number] = element.reference  # type: ignore[index]
            else:
                kids.append(kid)
        if changed:
            element["K"] = pydyf.Array(kids)
    if not folded:
        return
    # The marked content of the folded children now belongs to their parents.
    root = objects[next(_references(pdf.catalog["StructTreeRoot"]))]
    nums = objects[next(_references(root["ParentTree"]))]["Nums"]
    for refs in nums[1::2]:
        if isinstance(refs, list):
            for index, ref in enumerate(refs):
                number = next(_references(ref), None)
                if number in folded:
                    refs[index] = folded[number]


# PDF/A admits in its XMP only the schemas of the XMP specification and ISO 19005, or schemas
# it describes (ISO 19005-3, 6.6.2.3.2); the PDF/UA identification is none of those, so an
# archival letter that says it is PDF/UA-1 as well describes pdfuaid:part in a pdfaExtension
# schema.
PDFUA_IDENTIFICATION = b"""<rdf:Description rdf:about="" \
xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1" />\
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" \
xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" \
xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#"><pdfaExtension:schemas><rdf:Bag>\
<rdf:li rdf:parseType="Resource">\
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>\
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>\
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix><pdfaSchema:property><rdf:Seq>\
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>part</pdfaProperty:name>\
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>\
<pdfaProperty:category>internal</pdfaProperty:category>\
<pdfaProperty:description>Part of ISO 14289 to which the file conforms</pdfaProperty:description>\
</rdf:li></rdf:Seq></pdfaSchema:property></rdf:li></rdf:Bag></pdfaExtension:schemas>\
</rdf:Description>"""


def identify_as_accessible(pdf: pydyf.PDF) -> None:
    """An archival letter is tagged as fully as an accessible one, so its XMP says PDF/UA-1
    beside PDF/A-3b: one file for the archive and for the public."""
    metadata = pdf.objects[next(_references(pdf.catalog["Metadata"]))]
    (packet,) = metadata.stream
    end = b"</rdf:RDF>"
    if packet.count(end) != 1:
        raise RenderError("WeasyPrint's XMP packet has no single rdf:RDF element to extend")
    metadata.stream = [packet.replace(end, PDFUA_IDENTIFICATION + end)]


def _finisher(look: Look, variant: str) -> Any:
    def finish(document: weasyprint.Document, pdf: pydyf.PDF) -> None:
        _finish(document, pdf, look.body.paragraph_gap)
        if variant.startswith("pdf/a"):
            identify_as_accessible(pdf)

    return finish


def _finish(document: weasyprint.Document, pdf: pydyf.PDF, gap: float) -> None:
    mark_margin_boxes_as_artifacts(document, pdf)
    join_split_elements(document, pdf)
    flatten_anonymous_blocks(pdf)
    mark_page_bodies(document, pdf, gap)
    scope_header_cells(pdf)
    name_header_cells(pdf)
    relate_attachments(pdf)


class WeasyPrintEngine:
    """The letter's HTML and the stylesheet generated from its look through WeasyPrint. Its
    caches (the font configuration, parsed stylesheets, the fetcher) live in this module;
    forget() drops the stylesheets and looks, which a designer's save makes stale."""

    name = "weasyprint"

    def forget(self, cache: RenderCache = DEFAULT_CACHE) -> None:
        forget_styles(cache)
        fetcher.cache_clear()

    def write(self, case: Case, options: RenderOptions, variant: str, moment: datetime) -> bytes:
        # The stylesheets go in pre-parsed (below), not inlined in the HTML.
        html = letter_html(case, options, [])
        family = options.family or case.edition.value
        look = load_look(options.templates, family)
        html = printable(html, look)
        attachments = [_attachment(case, moment)] if options.embed_data else []
        # One FontConfiguration per thread (font_config): no lock between renders.
        try:
            document = weasyprint.HTML(
                string=html,
                base_url=options.templates.styles.resolve().as_uri() + "/",
                url_fetcher=fetcher(options.templates),
            ).render(
                font_config=font_config(),
                stylesheets=list(
                    stylesheets(
                        options.templates, options.lang, family, options.letter, options.cache
                    )
                ),
                pdf_variant=variant,
                pdf_tags=True,
            )
            metadata = document.metadata
            metadata.authors = []  # never a person's name in the file
            metadata.generator = PRODUCER
            metadata.created = metadata.modified = _pdf_date(moment.date())
            archival: dict[str, Any] = {}
            if variant.startswith("pdf/a"):
                document.color_profiles[OUTPUT_INTENT] = srgb_profile()
                archival["output_intent"] = OUTPUT_INTENT
            data: bytes = document.write_pdf(
                finisher=_finisher(look, variant),
                pdf_variant=variant,
                pdf_tags=True,
                pdf_identifier=True,  # a digest of the content: same case, same ID
                attachments=attachments,
                **archival,
            )
        except FatalURLFetchingError as exc:
            cause = exc.__cause__ or exc
            raise RenderError(f"{case.stem}: {cause}") from None
        return data
