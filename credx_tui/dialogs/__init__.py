"""Typed modal dialogs, one per file: each ``ModalScreen[T]`` dismisses with its result."""
