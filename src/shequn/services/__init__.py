"""What every entry point (the CLI, the benchmarks, the coming API) calls, none of them
importing another's module.

Each service takes typed arguments and returns a typed result (a dataclass with
``to_dict()`` where an entry point prints JSON); none prints. A mistake of the user's
(a missing file, an empty lake, an unknown segment) comes out as :class:`UserError`,
whose message is meant to be shown as it is; anything else is a bug.
"""

from shequn.services.errors import UserError

__all__ = ["UserError"]
