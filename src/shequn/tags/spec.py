"""The tag file: tags, segments and audiences, declared in YAML and validated on load."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

NAME = r"^[a-z][a-z0-9_]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stage(Strict):
    value: str
    label_zh: str = ""
    when: str


class Tag(Strict):
    name: str = Field(pattern=NAME)
    label_zh: str = ""
    kind: Literal["stages", "bands", "rule", "value"]
    stages: tuple[Stage, ...] = ()
    field: str = ""
    bands: tuple[float, ...] = ()
    when: str = ""
    value: str = ""

    @model_validator(mode="after")
    def _complete(self) -> Tag:
        needs = {"stages": bool(self.stages), "bands": bool(self.field and self.bands),
                 "rule": bool(self.when), "value": bool(self.value)}
        if not needs[self.kind]:
            what = {"stages": "stages", "bands": "field and bands", "rule": "when",
                    "value": "value"}[self.kind]
            raise ValueError(f"a '{self.kind}' tag needs {what}")
        if list(self.bands) != sorted(set(self.bands)):
            raise ValueError("bands must be increasing")
        return self


class Segment(Strict):
    name: str = Field(pattern=NAME)
    label_zh: str = ""
    when: str


class Audience(Strict):
    name: str = Field(pattern=NAME)
    label_zh: str = ""
    segment: str = ""
    when: str = "true"
    holdout: float = Field(0.1, ge=0, lt=1)


class TagFile(Strict):
    tags: tuple[Tag, ...] = ()
    segments: tuple[Segment, ...] = ()
    audiences: tuple[Audience, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> TagFile:
        for kind, items in (("tag", self.tags), ("segment", self.segments),
                            ("audience", self.audiences)):
            names = [i.name for i in items]
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"{kind} names used twice: {', '.join(twice)}")
        segments = {s.name for s in self.segments}
        for audience in self.audiences:
            if audience.segment and audience.segment not in segments:
                raise ValueError(f"audience {audience.name}: no segment named "
                                 f"'{audience.segment}'")
        return self


class TagFileError(ValueError):
    pass


def load(path: Path | None = None) -> TagFile:
    """The tag file at ``path``, or the one shipped with shequn."""
    if path is None:
        text = resources.files("shequn.tags").joinpath("default.yaml").read_text("utf-8")
        where = "default tags"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise TagFileError(f"{path}: cannot read the tag file: {err.strerror}") from err
        where = str(path)
    try:
        return TagFile.model_validate(yaml.safe_load(text) or {})
    except yaml.YAMLError as err:
        raise TagFileError(f"{where}: not valid YAML: {err}") from err
    except ValidationError as err:
        first = err.errors()[0]
        at = ".".join(str(p) for p in first["loc"])
        raise TagFileError(f"{where}: {at}: {first['msg']}") from err
