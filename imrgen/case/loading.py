"""YAML/JSON -> Case, every problem collected with its field path and line."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import CaseError, Problem
from .model import Case

CASE_SUFFIXES = (".yaml", ".yml", ".json")


def is_case_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in CASE_SUFFIXES


# What a letter's first bytes hold, by suffix: a file found in a folder that has a letter's
# suffix but not this (examples/sources.txt, a README.md) is not a letter, and is skipped
# rather than failed. Text letters name the IMR in every language imrgen writes.
_LETTER_MARKS = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    **dict.fromkeys(
        (".txt", ".text", ".md", ".markdown", ".html", ".htm"),
        (b"IMR", "IMR".encode("utf-16-le"), "IMR".encode("utf-16-be")),
    ),
}


def not_an_input(path: Path) -> str | None:
    """Why a file found in a folder is not one imrgen reads (None when it is one): a case file,
    or a letter by its suffix and first bytes. Only for folder walks: a file named on the
    command line is always read, and fails if it is not what its suffix says."""
    suffix = path.suffix.lower()
    if suffix in CASE_SUFFIXES:
        if path.name.lower().endswith(".schema.json"):
            return "a JSON Schema, not a case"
        return None
    marks = _LETTER_MARKS.get(suffix)
    if marks is None:
        return f"not a case file or a letter ({suffix or 'no suffix'})"
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 20)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if suffix == ".pdf":
        found = marks[0] in head[:1024]
    elif suffix == ".docx":
        found = head.startswith(marks[0])
    else:
        found = any(mark in head for mark in marks)
    return None if found else f"has the suffix {suffix} but is not an IMR letter"


def load_case(source: str | Path, text: str | None = None) -> Case:
    """Read a case file (YAML or JSON); raise CaseError listing every problem."""
    source = Path(source)
    if text is None:
        text = read_case_text(source)
    data = read_tree(source, text)
    # JSON is (almost always) YAML too, so the same node tree gives a JSON file's lines.
    return case_from_data(data, source, text)


def read_case_text(source: str | Path) -> str:
    """A case file's text; CaseError when it cannot be read or is not UTF-8."""
    source = Path(source)
    try:
        return source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseError(source, [Problem("", "no such file")]) from None
    except IsADirectoryError:
        raise CaseError(source, [Problem("", "expected a case file, got a folder")]) from None
    except UnicodeDecodeError as exc:
        raise CaseError(source, [Problem("", f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise CaseError(source, [Problem("", f"cannot read it ({exc.strerror or exc})")]) from None


def case_from_data(data: Any, source: str | Path = "<data>", yaml_text: str | None = None) -> Case:
    """Validate case data; with the YAML text it came from, problems also carry their line."""
    if not isinstance(data, dict):
        found = type(data).__name__ if data is not None else "an empty document"
        raise CaseError(source, [Problem("", f"expected a mapping of case fields, got {found}")])
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        # The node tree (for line numbers) is only built when there is something to report.
        root = node_tree(yaml_text)
        raise CaseError(source, [_problem(err, root) for err in exc.errors()]) from None


def node_tree(text: str | None) -> yaml.Node | None:
    """The YAML node tree of a case file's text (JSON included), for line numbers; None when the
    text gives none (a JSON file that is not also YAML: it then has no lines to report)."""
    if text is None:
        return None
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, RecursionError):
        return None
    return node


def line_of(root: yaml.Node | None, field_path: str) -> int | None:
    """The line of a field path such as 'items[2].decision' in a node tree (see node_tree)."""
    loc: list[int | str] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field_path):
        loc.append(int(index) if index else name)
    return _line_of(root, tuple(loc))


def dump_case(case: Case, fmt: str = "yaml") -> str:
    """The case as YAML or JSON text, defaults left out, so it reads as a person would write it."""
    if fmt == "json":
        data = {
            "edition": case.edition.value,
            **case.model_dump(mode="json", exclude_defaults=True),
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    data = {"edition": case.edition, **case.model_dump(mode="python", exclude_defaults=True)}
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=88)


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else (">" if len(value) > 80 else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _enum_representer(dumper: yaml.SafeDumper, value: StrEnum) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value.value)


_Dumper.add_representer(str, _str_representer)
_Dumper.add_multi_representer(StrEnum, _enum_representer)


# libyaml's C loader where PyYAML was built with it: several times faster on long case files.
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):  # type: ignore[misc]
    """The safe loader, but a date the calendar does not have (2016-02-30, month 13, hour 25)
    stays the text it was, so the model reports it with its field path and line like any other
    wrong value, instead of PyYAML raising from deep inside the constructor."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


_TOO_DEEP = (
    "expected a case (fields nested a few levels deep), got lists or mappings nested too deep"
    " to read"
)


def read_tree(source: Path, text: str) -> Any:
    if source.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except RecursionError:
            raise CaseError(source, [Problem("", _TOO_DEEP)]) from None
        except json.JSONDecodeError as exc:
            raise CaseError(
                source, [Problem(f"line {exc.lineno}", f"not valid JSON: {exc.msg}", exc.lineno)]
            ) from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except RecursionError:
        raise CaseError(source, [Problem("", _TOO_DEEP)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        where = f"line {line}" if line else ""
        raise CaseError(source, [Problem(where, f"not valid YAML: {exc.problem}", line)]) from None
    except yaml.YAMLError as exc:
        raise CaseError(source, [Problem("", f"not valid YAML: {exc}")]) from None
    return data


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _problem(err: Any, root: yaml.Node | None) -> Problem:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = err["type"]
    found = err.get("input")
    if kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        message = "unknown field"
    elif kind in ("string_too_short", "string_type") or (
        kind == "too_short" and isinstance(found, str)
    ):
        message = f"expected text, got {_shown(found)}"
    elif kind.startswith("date_") and not isinstance(found, dict | list):
        message = f"expected a date that exists, as YYYY-MM-DD, got {_shown(found)}"
        reason = err["msg"].partition(", ")[2]
        if reason and kind == "date_from_datetime_parsing":
            message += f" ({reason})"
    elif kind == "string_pattern_mismatch" and loc and loc[-1] == "case_number":
        message = f"expected the state's form CMyy-nnnnnnn (e.g. CM16-0213037), got {_shown(found)}"
    elif kind == "too_short":
        minimum = err.get("ctx", {}).get("min_length", 1)
        message = f"expected at least {minimum} item(s), got {len(found or [])}"
    else:
        message = err["msg"]
        for prefix in ("Value error, ", "Input should be "):
            if message.startswith(prefix):
                message = message[len(prefix) :]
                if prefix == "Input should be ":
                    message = "expected " + message
        if not isinstance(found, dict | list) and "got" not in message:
            message += f", got {_shown(found)}"
    return Problem(_path(loc), message, _line_of(root, loc))


def _shown(found: Any) -> str:
    """A value as the case file wrote it: YAML's and JSON's null, not Python's None."""
    if found is None:
        return "null"
    if isinstance(found, bool):
        return "true" if found else "false"
    return repr(found)


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line where a field path stands in the YAML, as near as the file allows."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            return line
        node = child
    return line
