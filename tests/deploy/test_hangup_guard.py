"""Issue 17: the hang-up exit never cuts a store transaction in the middle.  A thread is
inside ``locked()`` (a read-modify-write) when the process is told to end: the end waits
until the write is done."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

SCRIPT = """
import sys, threading, time
from pathlib import Path
from credx_tui.hangup import end_process
from credx_tui.store.files import atomic_write_bytes, locked

root = Path(sys.argv[1])
inside = threading.Event()

def transaction():
    with locked(root / "locks" / "x.lock"):
        inside.set()
        time.sleep(0.8)          # the read-modify-write takes a while
        atomic_write_bytes(root / "data.json", b"complete")

threading.Thread(target=transaction).start()
inside.wait()
end_process(129)                 # the terminal hung up now
"""


def test_the_end_waits_for_the_write(tmp_path: Path) -> None:
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], timeout=30)
    assert done.returncode == 129
    assert time.monotonic() - start > 0.8
    assert (tmp_path / "data.json").read_bytes() == b"complete"
    assert not list(tmp_path.glob(".*.tmp"))
