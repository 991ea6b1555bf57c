"""``python -m suite.agent.presenter``: the presenter process (see :mod:`.loop`)."""

import sys

from suite.agent.presenter.loop import main

sys.exit(main())
