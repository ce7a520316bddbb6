"""Parse every real letter, render it as text in its own edition: the words are the original's."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import REAL_LETTERS, letter_id

import imrgen


def words(text: str) -> list[str]:
    """The words of a text, white space and line breaks aside. A line broken at a hyphen
    (10-28-\\n2016) is one word, as it is on the page."""
    return re.sub(r"(?<=\w)-[ \t]*\r?\n\s*", "-", text).split()


def original_words(path: Path) -> list[str]:
    """The original's words by a plain extraction, independent of imrgen's readers."""
    if path.suffix == ".pdf":
        document = pdfium.PdfDocument(path, password="")
        text = "\n".join(page.get_textpage().get_text_range() for page in document)
        document.close()
        # PDFium's mark for a hyphen that ends a printed line (it joins the lines itself).
        text = text.replace("\ufffe", "-")
    else:
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"</?b>|\*\*|^#+ ", "", text, flags=re.MULTILINE)
    return words(text)


def rendered_words(case: imrgen.Case) -> list[str]:
    return words(imrgen.render(case, "txt").decode("utf-8"))


@pytest.mark.parametrize("path", REAL_LETTERS, ids=letter_id)
def test_words_equal_the_original(path: Path, parsed_letters: dict[Path, imrgen.Case]) -> None:
    """Punctuation included: where a published letter lacks a full stop (seed 002, after its
    reviewer's non-MTUS citation), the case records it and the letter is printed as it was."""
    assert rendered_words(parsed_letters[path]) == original_words(path)


@pytest.mark.parametrize("path", REAL_LETTERS, ids=letter_id)
def test_every_item_and_decision_is_kept(
    path: Path, parsed_letters: dict[Path, imrgen.Case]
) -> None:
    """Independent of the parser: count the decision headings in the original text."""
    text = " ".join(original_words(path))
    headings = re.findall(r":\s(Upheld|Overturned)(?=\s|$)", text)
    case = parsed_letters[path]
    assert [i.decision.value for i in case.items] == [h.lower() for h in headings]
