"""A credx whose terminal is gone exits at once (issue 17).

A terminal can go away in many ways: sshd or tmux sends SIGHUP, an administrator sends
SIGTERM, a wrapper between the terminal and credx (sudo, runuser, a ForceCommand script)
swallows the hang-up, credx runs under ``setsid`` without a controlling terminal, or the
websocket of ``credx serve`` closes and the server shuts the pipe.  Textual notices none
of these on its own: its input thread reads EOF (or EIO) from the dead terminal in a
loop and the app spins on, using a good part of a core, for ever.

:func:`watch_terminal` closes every one of those doors:

- SIGHUP and SIGTERM get a handler of their own, also when the parent started credx with
  them ignored (an ignored disposition survives ``exec``; that is how a wrapper that does
  not pass the hang-up on leaves credx running);
- a thread blocks in ``poll`` on standard input, asking for no events at all, so the
  kernel wakes it only for POLLHUP, POLLERR or POLLNVAL: the pty's other side closed, the
  tty was hung up, the pipe from ``credx serve`` was shut.  It costs nothing while the
  terminal lives (no timeout, no wake-ups).

Either way the app is asked to exit, and :data:`EXIT_GRACE` seconds later the process
ends with :func:`os._exit` whatever Textual is still doing (writing to a dead terminal
can block or fail).  It never ends in the middle of a store transaction: the store holds
:data:`credx_tui.store.files.WRITE_GUARD` from the moment it owns a file lock until the
atomic rename is done and the lock released, and the final exit takes that guard first.
So a submit either completes or does not happen, and the kernel drops the file locks
with the process.  Work that was not saved is lost, as when a student closes the window.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Callable

from credx_tui.store.files import WRITE_GUARD

EXIT_GRACE = 0.6
"""Seconds the app gets to exit on its own before the process is ended (the issue
asks for an exit within 1 s)."""

EXIT_HANGUP = 129
"""Exit status after a hang-up (128 + SIGHUP, as a shell reports it)."""

_HANGUP_EVENTS = select.POLLHUP | select.POLLERR | select.POLLNVAL


def terminal_gone(fd: int) -> bool:
    """Block until ``fd`` reports a hang-up or an error and return True; False at once
    if ``fd`` cannot be polled.  A file that never hangs up (``/dev/null``, a regular
    file) keeps the caller asleep for good, which costs nothing."""
    poller = select.poll()
    try:
        poller.register(fd, 0)  # no events asked: only HUP, ERR and NVAL wake us
    except (OSError, ValueError):
        return False
    while True:
        try:
            events = poller.poll()
        except InterruptedError:  # pragma: no cover (PEP 475 retries already)
            continue
        if any(mask & _HANGUP_EVENTS for _, mask in events):
            return True


def end_process(status: int) -> None:
    """End the process now, but never inside a store transaction (see module doc)."""
    WRITE_GUARD.acquire()  # held until the end: no transaction starts after this
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(status)


def watch_terminal(request_exit: Callable[[int], None], fd: int | None = None) -> None:
    """Call ``request_exit(status)`` on the event loop when the terminal goes away.

    Must be called from the running asyncio loop (the app's ``on_mount``).  After the
    request, the process ends within :data:`EXIT_GRACE` seconds in any case."""
    import asyncio

    loop = asyncio.get_running_loop()
    fired = threading.Event()

    def hang_up(status: int) -> None:
        if fired.is_set():
            return
        fired.set()
        timer = threading.Timer(EXIT_GRACE, end_process, args=(status,))
        timer.daemon = True
        timer.start()
        with contextlib.suppress(Exception):
            request_exit(status)

    for signum in (signal.SIGHUP, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, hang_up, 128 + signum)

    if fd is None:
        try:
            fd = sys.__stdin__.fileno() if sys.__stdin__ is not None else -1
        except (OSError, ValueError):
            fd = -1
    if fd < 0:
        return

    def watch() -> None:
        if terminal_gone(fd):
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(hang_up, EXIT_HANGUP)
            # Should the loop never run the callback (blocked on a dead terminal),
            # end the process anyway.
            threading.Timer(EXIT_GRACE + 0.2, end_process, args=(EXIT_HANGUP,)).start()

    threading.Thread(target=watch, name="credx-terminal-watch", daemon=True).start()
