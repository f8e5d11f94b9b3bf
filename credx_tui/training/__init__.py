"""Trainer mode: sandbox, scenarios and the guided walk (issue 5)."""
