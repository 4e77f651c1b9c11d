"""``python -m shequn``: the command line, as the ``shequn`` script runs it.

The server's worker processes are spawned: each imports its parent's main module first,
unless that module is a package's ``__main__``, as this one is. Started this way, a
worker loads only the application it serves, not every command of the command line."""

from shequn.cli.app import main

if __name__ == "__main__":
    main()
