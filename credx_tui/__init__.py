"""credx: the credit-exchange procedure (学分兑换) of a vocational college, in the terminal."""

import os

# pydantic looks for plugins by scanning every installed distribution's entry points
# when the first model is built: a tenth of credx's start-up (issue 13) for plugins
# credx never uses.  A deployment that wants one can still set the variable.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

# No automatic garbage collection while credx's modules load (credx_tui/heap.py): the
# services package ends the hold once it is imported, every entry point imports it.
from credx_tui import heap as _heap

_heap.hold_imports()
