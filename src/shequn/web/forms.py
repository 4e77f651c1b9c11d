"""The fields a page's form sends, checked and bounded as the API's schemas bound them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from shequn.web.visits import Visit

# An id in a path: bounded, so no number reaches a database's integer limit.
ObjectId = Annotated[int, Path(ge=1, le=2**31 - 1)]
TITLE_MAX = 200
BODY_MAX = 5000


class InvalidForm(Exception):
    """A field missing or too long: the page says which, in the visit's language."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def text(visit: Visit, name: str, label: str, maximum: int, required: bool = True) -> str:
    value = visit.field(name)
    if required and not value:
        raise InvalidForm(name, visit.gettext("%(field)s cannot be empty.", field=label))
    if len(value) > maximum:
        raise InvalidForm(name, visit.gettext("%(field)s is too long (at most %(max)s "
                                              "characters).", field=label, max=maximum))
    return value


def number(visit: Visit, name: str, label: str, least: int, most: int) -> int:
    value = visit.field(name)
    if not value.isdecimal() or len(value) > 10 or not least <= int(value) <= most:
        raise InvalidForm(name, visit.gettext("%(field)s must be a whole number from "
                                              "%(least)s to %(most)s.", field=label,
                                              least=least, most=most))
    return int(value)
