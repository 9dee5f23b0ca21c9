"""Work done in a forked child process, its result sent back pickled.

Large streams are parsed by more than one process: libyaml holds the GIL, so
threads would not help, and a forked child costs no interpreter start-up and
shares the stream's text instead of receiving a copy. Whatever goes wrong in
the child (an exception, a signal, a fork that is refused), the caller gets
None and does the work itself. Errors are therefore always raised, and worded,
in the main process, exactly as if no child had been involved.
"""
from __future__ import annotations

import os
import pickle
import signal
from typing import Any, Callable


class Child:
    """`work()` running in a forked child from construction until `result()`."""

    def __init__(self, work: Callable[[], Any]):
        self.pid: int | None = None
        self._pipe: int | None = None
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # out of processes or memory: the caller works alone
            os.close(read)
            os.close(write)
            return
        if pid == 0:
            _run_child(work, read, write)  # never returns
        os.close(write)
        self.pid, self._pipe = pid, read

    def result(self) -> Any | None:
        """What `work()` returned, or None when the child failed."""
        if self.pid is None or self._pipe is None:
            return None
        with os.fdopen(self._pipe, "rb") as pipe:
            self._pipe = None
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        try:
            return pickle.loads(data)
        except Exception:  # noqa: BLE001 - a truncated result is a failed child
            return None

    def close(self) -> None:
        """Stop the child if it still runs; nothing is left behind, not even a zombie."""
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = None


def _run_child(work: Callable[[], Any], read: int, write: int) -> None:
    # os._exit: no atexit handler, no buffered stdout or log of the parent's
    # may run or be flushed twice; an exception only sets the exit status.
    status = 1
    try:
        os.close(read)
        data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        status = 0
    finally:
        os._exit(status)
