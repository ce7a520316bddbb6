"""The package keeps its layers (docs/architecture.md): every import in imrgen/, read with `ast`
(inside functions and under TYPE_CHECKING too: a lazy import is still a dependency), is checked
against the rules below, so that a lower layer importing a higher one fails here."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "imrgen"

# The case and the letter: what every other part builds on.
CORE = {
    "model", "loading", "schema", "rules", "templates", "structure", "look", "i18n", "extract",
    "embedding", "errors", "caches", "files", "signing",
}  # fmt: skip
PUBLIC = {"redaction", "leaks", "public"}
FORMATS = {"writers", "readers"}
DRIVERS = {"batch", "preview", "service", "cli"}

# What each layer never imports.
NEVER: dict[frozenset[str], set[str]] = {
    frozenset(CORE): FORMATS | PUBLIC | DRIVERS,
    frozenset(FORMATS): PUBLIC | DRIVERS,
    frozenset({"redaction", "leaks"}): FORMATS | DRIVERS | {"public"},
    frozenset({"public"}): DRIVERS,
}
# Who alone may import a driver ("": the top-level package, whose `imrgen.batch` is the API's
# lazy re-export). A driver's own modules import each other freely.
ONLY_FROM: dict[str, set[str]] = {
    "batch": {"cli", "service", ""},
    "preview": {"cli", "service"},
    "service": {"cli"},
    "cli": {"__main__"},
}


def _module(path: Path, root: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def imports(root: Path) -> dict[str, set[str]]:
    """Each module of the package under root, and the modules of that package it imports."""
    name = root.name
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        module, is_package = _module(path, root)
        package = module.split(".") if is_package else module.split(".")[:-1]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                targets.add(target)
                targets |= {f"{target}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
        found[module] = {t for t in targets if t == name or t.startswith(name + ".")}
    return found


def _part(module: str) -> str:
    """The top-level part a module belongs to: 'writers' for imrgen.writers.pdf, '' for imrgen."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def violations(root: Path) -> list[str]:
    found: list[str] = []
    for module, targets in imports(root).items():
        here = _part(module)
        for target in sorted(targets):
            there = _part(target)
            if there == here or there == "":
                continue
            for layer, forbidden in NEVER.items():
                if here in layer and there in forbidden:
                    found.append(f"{module} imports {target}: {here} never imports {there}")
            allowed = ONLY_FROM.get(there)
            if allowed is not None and here not in allowed:
                found.append(
                    f"{module} imports {target}: only {sorted(allowed)} may import {there}"
                )
    return found


def test_the_package_keeps_its_layers() -> None:
    assert imports(PACKAGE)["imrgen.cli.preview"] >= {"imrgen.preview"}  # the reading works
    assert violations(PACKAGE) == []


def test_every_top_level_part_has_a_layer() -> None:
    """A new module must be placed in a layer, or the rules would not see it."""
    parts = {_part(m) for m in imports(PACKAGE)} - {"", "__main__"}
    assert parts <= CORE | PUBLIC | FORMATS | DRIVERS, parts - (CORE | PUBLIC | FORMATS | DRIVERS)


def test_a_lower_layer_importing_a_higher_one_is_caught(tmp_path: Path) -> None:
    root = tmp_path / "imrgen"
    (root / "writers").mkdir(parents=True)
    (root / "__init__.py").write_text("from . import batch\n")
    (root / "model.py").write_text("def f() -> None:\n    from .writers import pdf\n")
    (root / "writers" / "__init__.py").write_text("")
    (root / "writers" / "pdf.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..cli import main\n"
    )
    (root / "rules.py").write_text("import imrgen.preview.state\n")
    (root / "loading.py").write_text("from .errors import CaseError\n")  # allowed
    assert sorted(violations(root)) == [
        "imrgen.model imports imrgen.writers.pdf: model never imports writers",
        "imrgen.model imports imrgen.writers: model never imports writers",
        "imrgen.rules imports imrgen.preview.state: only ['cli', 'service'] may import preview",
        "imrgen.rules imports imrgen.preview.state: rules never imports preview",
        "imrgen.writers.pdf imports imrgen.cli.main: only ['__main__'] may import cli",
        "imrgen.writers.pdf imports imrgen.cli.main: writers never imports cli",
        "imrgen.writers.pdf imports imrgen.cli: only ['__main__'] may import cli",
        "imrgen.writers.pdf imports imrgen.cli: writers never imports cli",
    ]


def test_the_architecture_page_names_only_what_exists() -> None:
    """docs/architecture.md matches the code: every imrgen/... path and imrgen.x module it names
    exists, and every top-level part of the package is on it."""
    import re

    page = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`(imrgen/[\w/.]+?)/?`", page))
    assert paths and all((PACKAGE.parent / p).exists() for p in paths), sorted(
        p for p in paths if not (PACKAGE.parent / p).exists()
    )
    modules = set(imports(PACKAGE))
    named = set(re.findall(r"\bimrgen\.(\w+)", page))
    parts = {m.split(".")[1] for m in modules if "." in m}
    api = {"render", "parse", "load_case", "redact"}  # the lazy API names of imrgen itself
    assert named - api <= parts, sorted(named - api - parts)
    for part in parts - {"__main__"}:
        assert f"`{part}" in page, part
