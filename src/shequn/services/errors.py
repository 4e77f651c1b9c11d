"""The one error an entry point shows as a message rather than as a failure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class UserError(Exception):
    """A mistake in what was asked (bad input, nothing built yet): its text is the
    message, meant for the person who asked."""


@contextmanager
def user_errors(*kinds: type[Exception]) -> Iterator[None]:
    """Re-raise the domain's ``kinds`` of error as :class:`UserError`, message unchanged.
    Each service names the errors that are the user's; any other stays a bug."""
    try:
        yield
    except kinds as error:
        raise UserError(str(error)) from error
