"""credx: the credit-exchange procedure (学分兑换) of a vocational college, in the terminal."""

import os

# pydantic looks for plugins by scanning every installed distribution's entry points
# when the first model is built: a tenth of credx's start-up (issue 13) for plugins
# credx never uses.  A deployment that wants one can still set the variable.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
