"""Chinese line breaking (kinsoku) in everything Rich and Textual lay out (issue 15).

The rules live in :mod:`credx_tui.linebreak`, which imports no Textual, so the
printing and the services use them too; this module only installs them into Rich's
``Text`` and Textual's ``Content`` for the app."""

from __future__ import annotations

import rich.text
import textual.content

from credx_tui.linebreak import divide_line


def install() -> None:
    """Use :func:`credx_tui.linebreak.divide_line` in Rich's Text and Textual's
    Content (idempotent): no line begins with 。 or ） nor ends with （."""
    rich.text.divide_line = divide_line
    textual.content.divide_line = divide_line
