"""Errors a user can act on: the CLI prints their message on one line, without a traceback."""


class UserError(Exception):
    """Something the user can fix; the message names the file or field and what to do."""


class SourceError(UserError):
    """One source file cannot be read; it is skipped and reported, the rest goes on."""


class Interrupted(UserError):
    """Ctrl-C during a build: nothing served changed; the CLI exits 130, as a shell reports it."""

    exit_code = 130
