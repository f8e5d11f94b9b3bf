"""Typed modal dialogs, one per file: each a ``credx_tui.ui.CredxDialog[T]`` that
dismisses with its result."""
