"""Finds the examples in README.md and docs/*.md (fenced code blocks with their place),
and the environment names of the settings they document."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from talk_backend.settings import Settings

REPO = Path(__file__).absolute().parents[2]
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    language: str
    code: str

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


def documents() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def blocks(language: str) -> list[Block]:
    found = []
    for path in documents():
        text = path.read_text()
        for match in _FENCE.finditer(text):
            if match.group(1) == language:
                line = text.count("\n", 0, match.start()) + 1
                found.append(Block(path, line, language, match.group(2)))
    return found


def section(path: Path, heading: str) -> str:
    """The text of one `## heading` section of a document."""
    text = path.read_text()
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def setting_attributes(model: type[BaseModel] = Settings, prefix: str = "") -> dict[str, str]:
    """Environment name -> the attribute the application reads it through."""
    found: dict[str, str] = {}
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found.update(setting_attributes(kind, f"{prefix}{name.upper()}__"))
        else:
            found[f"{prefix}{name.upper()}"] = name
    return found
