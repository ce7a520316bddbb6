"""Languages: gettext catalogs for the letter's fixed text (imrgen/letter/locale/<lang>/LC_MESSAGES/
imrgen.po, extracted from the templates with Babel), and dates in the letter's locale."""

from __future__ import annotations

import gettext
import io
import re
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ..errors import ImrgenError

DOMAIN = "imrgen"
DEFAULT_LANGUAGE = "en"
# The locale whose conventions a language's letters follow (dates, numbers).
LOCALES = {"en": "en_US", "es": "es_US"}


def locale_dir() -> Path:
    return Path(str(resources.files("imrgen.letter"))) / "locale"


def languages() -> list[str]:
    """English (the templates' own text) and every language with a catalog."""
    found = {p.parent.parent.name for p in locale_dir().glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return [DEFAULT_LANGUAGE, *sorted(found - {DEFAULT_LANGUAGE})]


def check_language(lang: str) -> str:
    if lang not in languages():
        raise ImrgenError(f"unknown language '{lang}'; available: {', '.join(languages())}")
    return lang


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog for a language, compiled from its .po in memory (no .mo in the repository)."""
    check_language(lang)
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    path = locale_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def numeric_date_pattern(lang: str) -> str:
    """The locale's numeric date (CLDR skeleton yMd) with two-digit day and month and a
    four-digit year: MM/dd/yyyy for en_US, which is how the state prints header dates."""
    pattern = Locale.parse(LOCALES[lang]).datetime_skeletons["yMd"].pattern
    pattern = re.sub(r"d+", "dd", pattern)
    pattern = re.sub(r"M+", "MM", pattern)
    return re.sub(r"y+", "yyyy", pattern)


def format_numeric_date(value: date, lang: str) -> str:
    return format_date(value, numeric_date_pattern(lang), locale=LOCALES[lang])


def format_long_date(value: date, lang: str) -> str:
    return format_date(value, "long", locale=LOCALES[lang])


def parse_numeric_date(text: str, lang: str) -> date:
    """The inverse of format_numeric_date; raises ValueError."""
    strptime = (
        numeric_date_pattern(lang).replace("dd", "%d").replace("MM", "%m").replace("yyyy", "%Y")
    )
    return datetime.strptime(text, strptime).date()
