"""``python -m suite.agent.presenter``: the presenter process (see :mod:`.cli`)."""

import sys

from suite.agent.presenter.cli import main

sys.exit(main())
