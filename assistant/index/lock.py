"""One build at a time: an advisory lock on ``index/.lock`` (fcntl), released by the OS if the build
dies, even by SIGKILL, so a crashed build never leaves a stale lock behind."""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

from assistant.errors import UserError


class BuildLock:
    def __init__(self, index_dir: Path, wait: float = 0.0) -> None:
        self.path = index_dir / ".lock"
        self.wait = wait
        self._fh = None

    def __enter__(self) -> BuildLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+")
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip()
                    fh.close()
                    info = json.loads(holder) if holder.startswith("{") else {}
                    raise UserError(
                        f"another build of {self.path.parent} is running (pid {info.get('pid', '?')}, started "
                        f"{info.get('started', '?')}); wait for it to finish, then run this again"
                    ) from None
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}))
        fh.flush()
        self._fh = fh
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.seek(0)
            self._fh.truncate()
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
