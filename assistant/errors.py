"""Errors a user can act on: the CLI prints their message on one line, without a traceback."""


class UserError(Exception):
    """Something the user can fix; the message names the file or field and what to do."""


class SourceError(UserError):
    """One source file cannot be read; it is skipped and reported, the rest goes on."""


class Interrupted(UserError):
    """Ctrl-C during a build: nothing served changed; the CLI exits 130, as a shell reports it."""

    exit_code = 130


class StoreUnavailable(UserError):
    """The index's store (a Milvus server) cannot be reached or failed a call: nothing is wrong with
    the index itself, so a serving process keeps what it has and asks again on the next question."""
