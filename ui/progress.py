"""Progress bars on stderr (tqdm), drawn from the library's progress callback (stage, done, total).

While bars are shown, the library's notes for the user (INFO records of the ``assistant.progress``
logger: "embedding N passages (M from the cache): about T on this machine") are written beside them.
"""

from __future__ import annotations

import logging
import sys

from tqdm import tqdm

from assistant.api import PROGRESS_LOG



class _Notes(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            Bars.write(record.getMessage())
        except Exception:  # a note that cannot be shown must not stop the build
            self.handleError(record)


class Bars:
    """A bar per stage (parse, split, embed, write), opened when the stage's first event arrives; while
    a PDF is read, a second bar under the parse bar counts its pages ("page" events)."""

    UNITS = {"parse": "report", "split": "report", "embed": "passage", "write": "version"}

    def __init__(self) -> None:
        self._stage: str | None = None
        self._bar: tqdm | None = None
        self._logger = logging.getLogger(PROGRESS_LOG)
        self._restore = (self._logger.level, self._logger.propagate)
        self._pages: tqdm | None = None
        self._notes: _Notes | None = _Notes()
        self._logger.addHandler(self._notes)  # until close(): the notes beside the bars, not also in the log
        self._logger.setLevel(logging.INFO)
        self._logger.propagate = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "page":  # the pages of one PDF, inside the parse stage
            if self._pages is None:
                self._pages = tqdm(total=total, desc="pages", unit="page", file=sys.stderr, leave=False)
            self._pages.update(max(0, done - self._pages.n))
            if done >= total:
                self._pages.close()
                self._pages = None
            return
        if stage != self._stage:
            self._end_stage()
            self._stage = stage
            if stage in self.UNITS:
                self._bar = tqdm(total=total, desc=stage, unit=self.UNITS[stage], file=sys.stderr)
        if self._bar is not None:
            self._bar.total = max(self._bar.total or 0, total)
            self._bar.update(max(0, done - self._bar.n))

    def close(self) -> None:
        """The last bar completed and closed; the library's notes go back to the log."""
        self._end_stage()
        if self._notes is not None:
            self._logger.removeHandler(self._notes)
            self._logger.setLevel(self._restore[0])
            self._logger.propagate = self._restore[1]
            self._notes = None

    def _end_stage(self) -> None:
        if self._pages is not None:
            self._pages.close()
            self._pages = None
        if self._bar is not None:
            self._bar.update(max(0, (self._bar.total or 0) - self._bar.n))  # a stage that ended is complete
            self._bar.close()
        self._bar = None

    @staticmethod
    def write(message: str) -> None:
        """A line beside the bars (not into --json output on stdout)."""
        tqdm.write(message, file=sys.stderr)
