"""Files of the demo college that are not import documents."""

from pathlib import Path

DEMO_SCREENSHOT = Path(__file__).with_name("grade-screenshot.png")
"""The invented grade screenshot every submitted demo application carries (S4: the demo
college follows the rule that an application needs an attachment); the trainer's
skip-ahead attaches it too."""
