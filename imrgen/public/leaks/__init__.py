"""The leak check: look through everything a finished file carries (text, metadata, attachments,
every part and stream) for any identifier of the source case. It reads bytes, not writers, so it
covers any format: PDF, any zip (DOCX), and text (html, md, txt). probes: what to look for;
views: what a file carries; search: the one looking in the other."""

from .probes import UNREADABLE, Leak, Probe, mask, probes, structure_phrases
from .search import check_file, find_leaks
from .views import normalize, views

__all__ = [
    "UNREADABLE",
    "Leak",
    "Probe",
    "check_file",
    "find_leaks",
    "mask",
    "normalize",
    "probes",
    "structure_phrases",
    "views",
]
