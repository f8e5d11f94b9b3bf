"""The browser front door: ``credx serve`` (credx_tui/web/server.py)."""
