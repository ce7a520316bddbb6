"""The package keeps its layers (docs/architecture.md): every import in imrgen/, read with `ast`
(inside functions and under TYPE_CHECKING too: a lazy import is still a dependency), is checked
against the rules below, so that a lower layer importing a higher one fails here."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "imrgen"

# The case and the letter: what every other part builds on. A unit is a top-level part of the
# package, or inside public/ one of its three modules (the check must not use the writers that the
# pipeline uses).
CORE = {"case", "letter", "errors", "files", "signing"}
PUBLIC = {"public", "public.redaction", "public.leaks", "public.versions"}
FORMATS = {"writers", "readers"}
DRIVERS = {"batch", "preview", "service", "cli"}

# What each layer never imports.
NEVER: dict[frozenset[str], set[str]] = {
    frozenset({"case"}): {"letter"},
    frozenset(CORE): FORMATS | PUBLIC | DRIVERS,
    frozenset(FORMATS): PUBLIC | DRIVERS,
    frozenset({"public.redaction", "public.leaks"}): FORMATS | DRIVERS | {"public.versions"},
    frozenset(PUBLIC): DRIVERS,
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
    """The unit a module belongs to: 'writers' for imrgen.writers.pdf, 'public.leaks' for
    imrgen.public.leaks, '' for imrgen."""
    parts = module.split(".")
    if len(parts) > 2 and parts[1] == "public":
        return ".".join(parts[1:3])
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
    for folder in ("case", "writers", "public"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "__init__.py").write_text("from . import batch\n")
    (root / "case" / "model.py").write_text("def f() -> None:\n    from ..writers import pdf\n")
    (root / "case" / "schema.py").write_text("from ..letter.templates import TemplateSet\n")
    (root / "writers" / "pdf.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..cli import main\n"
    )
    (root / "case" / "rules.py").write_text("import imrgen.preview.state\n")
    (root / "case" / "loading.py").write_text("from ..errors import CaseError\n")  # allowed
    (root / "public" / "leaks.py").write_text("from .versions import public_version\n")
    (root / "public" / "versions.py").write_text("from ..writers import get_writer\n")  # allowed
    only_cli = "only ['cli', 'service'] may import preview"
    assert sorted(violations(root)) == [
        "imrgen.case.model imports imrgen.writers.pdf: case never imports writers",
        "imrgen.case.model imports imrgen.writers: case never imports writers",
        "imrgen.case.rules imports imrgen.preview.state: case never imports preview",
        f"imrgen.case.rules imports imrgen.preview.state: {only_cli}",
        "imrgen.case.schema imports imrgen.letter.templates.TemplateSet: case never imports letter",
        "imrgen.case.schema imports imrgen.letter.templates: case never imports letter",
        "imrgen.public.leaks imports imrgen.public.versions.public_version: "
        "public.leaks never imports public.versions",
        "imrgen.public.leaks imports imrgen.public.versions: "
        "public.leaks never imports public.versions",
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
    named = set(re.findall(r"\bimrgen(?:\.\w+)+", page))
    api = {"imrgen.render", "imrgen.parse", "imrgen.load_case", "imrgen.redact"}  # lazy API names
    # a module, or a name in one (imrgen.writers.WRITERS)
    unknown = {n for n in named - api if n not in modules and n.rsplit(".", 1)[0] not in modules}
    assert not unknown, sorted(unknown)
    for part in {_part(m) for m in modules if "." in m} - {"__main__"}:
        assert f"`{part.split('.')[-1]}" in page, part
