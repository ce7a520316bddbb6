"""The redaction policy: how each party and each kind of identifier goes, the shipped policies
(imrgen/public/policies/*.yaml) and loading one."""

from __future__ import annotations

import re
from enum import StrEnum
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ...errors import ImrgenError

MARKER = "[REDACTED]"


class PolicyError(ImrgenError):
    """A redaction policy file that cannot be used."""


class Action(StrEnum):
    PHRASE = "phrase"  # a generic phrase such as "the treating provider"
    REDACT = "redact"  # the policy's marker, "[REDACTED]"
    REMOVE = "remove"  # nothing at all
    KEEP = "keep"  # left as written; the leak check refuses such a file for a public version


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    phrase: str | None = None

    @model_validator(mode="after")
    def _phrase_needs_text(self) -> Rule:
        if self.action is Action.PHRASE and not (self.phrase and self.phrase.strip()):
            raise ValueError("action 'phrase' needs a phrase")
        return self


def _phrase(text: str) -> Rule:
    return Rule(action=Action.PHRASE, phrase=text)


def _redact() -> Rule:
    return Rule(action=Action.REDACT)


class PartyRules(BaseModel):
    """How the name of each party is replaced."""

    model_config = ConfigDict(extra="forbid")

    employee: Rule = Field(default_factory=lambda: _phrase("the injured worker"))
    employer: Rule = Field(default_factory=lambda: _phrase("the employer"))
    claims_administrator: Rule = Field(default_factory=lambda: _phrase("the claims administrator"))
    requesting_provider: Rule = Field(default_factory=lambda: _phrase("the treating provider"))
    attorney: Rule = Field(default_factory=lambda: _phrase("the attorney"))
    law_firm: Rule = Field(default_factory=lambda: _phrase("the attorney's firm"))
    other_provider: Rule = Field(default_factory=lambda: _phrase("another provider"))
    reviewer: Rule = Field(default_factory=lambda: _phrase("the expert reviewer"))


class IdentifierRules(BaseModel):
    """How identifiers go, whether a party field names them or they stand only in the text."""

    model_config = ConfigDict(extra="forbid")

    ssn: Rule = Field(default_factory=_redact)
    phone: Rule = Field(default_factory=_redact)
    email: Rule = Field(default_factory=_redact)
    claim_number: Rule = Field(default_factory=_redact)
    address: Rule = Field(default_factory=_redact)
    date_of_birth: Rule = Field(default_factory=_redact)


class RedactionPolicy(BaseModel):
    """Which identifiers go and how; the default is the state's published practice."""

    model_config = ConfigDict(extra="forbid")

    name: str = "state-practice"
    description: str = ""
    marker: str = Field(default=MARKER, min_length=1)
    parties: PartyRules = Field(default_factory=PartyRules)
    identifiers: IdentifierRules = Field(default_factory=IdentifierRules)

    @classmethod
    def from_yaml(cls, path: str | Path) -> RedactionPolicy:
        """Read a policy file; a problem names the file and the field path."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"{path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise PolicyError(f"{path}: not UTF-8 text ({exc.reason})") from None
        return cls.from_text(text, str(path))

    @classmethod
    def from_text(cls, text: str, source: str = "<policy>") -> RedactionPolicy:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise PolicyError(f"{source}: not valid YAML: {exc}") from None
        except RecursionError:
            raise PolicyError(f"{source}: nested too deep to be a policy") from None
        if not isinstance(data, dict):
            raise PolicyError(f"{source}: expected a mapping of policy fields")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise PolicyError(f"{source}: {problems}") from None

    @classmethod
    def named(cls, name: str) -> RedactionPolicy:
        """A policy shipped with imrgen: 'default' (the state's practice) or 'marker-only'."""
        folder = resources.files("imrgen.public") / "policies"
        entry = folder / f"{name}.yaml"
        if not entry.is_file():
            known = ", ".join(
                sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))
            )
            raise PolicyError(
                f"unknown policy '{name}'; shipped: {known} (or the path of a YAML file)"
            )
        return cls.from_text(
            entry.read_text(encoding="utf-8"), f"imrgen/public/policies/{name}.yaml"
        )


def default_policy() -> RedactionPolicy:
    return RedactionPolicy.named("default")


def load_policy(value: str | Path | None) -> RedactionPolicy:
    """The --policy option: a policy shipped with imrgen by name ("marker-only"), or the path
    of the user's own YAML file; none means the default."""
    if value is None or value == "":
        return default_policy()
    text = str(value)
    if isinstance(value, Path) or re.search(r"[/\\]|\.ya?ml$", text):
        return RedactionPolicy.from_yaml(text)
    return RedactionPolicy.named(text)
