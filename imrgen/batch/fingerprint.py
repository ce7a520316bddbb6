"""What a run depends on besides its inputs: the options, the policy, the dependencies' versions
and imrgen's own files, as one digest the manifest compares."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .. import __version__
from ..case.model import Case
from ..errors import ImrgenError
from ..writers import RenderOptions

if TYPE_CHECKING:
    from ..public.redaction import RedactionPolicy


def _tree_digest(digest: Any, root: Path | None) -> None:
    if root is None or not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())


def dependency_versions() -> dict[str, str]:
    """imrgen's version and that of every package it needs, directly or not, as installed: a
    new WeasyPrint (or fontTools, or lxml) may write the same letter differently."""
    found: dict[str, str] = {}
    todo = ["imrgen"]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
            continue
        found[name] = dist.version
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return dict(sorted(found.items()))


def options_fingerprint(
    options: RenderOptions, public: bool, policy: RedactionPolicy | None = None
) -> str:
    """A digest of everything besides the input that decides the outputs' bytes: the versions
    of imrgen and its dependencies, the render options, the templates and styles, and the
    redaction policy. A changed template or an upgrade therefore redoes every letter; an
    unchanged one redoes nothing."""
    digest = hashlib.sha256()
    settings = {
        "imrgen": __version__,
        "packages": dependency_versions(),
        "family": options.family,
        "lang": options.lang,
        "engine": options.engine,
        "pdf_variant": options.pdf.variant,
        "embed_data": options.embed_data,
        "extras": sorted(options.extras.items()),
        "public": public,
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    # imrgen's own code and data too: a checkout changes without its version changing
    _tree_digest(digest, Path(__file__).resolve().parents[1])  # imrgen/
    templates = options.templates
    for root in (templates.templates, templates.styles, templates.user_templates):
        _tree_digest(digest, root)
    if public:
        digest.update(policy.model_dump_json().encode() if policy else _policy_text().encode())
    return digest.hexdigest()


def _redact_function() -> Callable[[Case], Case]:
    """imrgen.public.redaction.redact, or a clear error when this installation has none."""
    try:
        from ..public.redaction import redact
    except ImportError as exc:
        raise ImrgenError(
            f"--public needs imrgen.public.redaction, which this installation lacks ({exc})"
        ) from None
    return redact


def _policy_text() -> str:
    from ..public import redaction

    default = getattr(redaction, "default_policy", None)
    return default().model_dump_json() if callable(default) else redaction.__name__
