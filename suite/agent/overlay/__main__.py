"""``python -m suite.agent.overlay``: the overlay process (:mod:`suite.agent.overlay.window`)."""

import sys

from suite.agent.overlay.window import main

sys.exit(main())
