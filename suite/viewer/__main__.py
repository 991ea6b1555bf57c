"""``python -m suite.viewer`` (development) and the frozen viewer's entry point."""

import sys

from suite.viewer.app import main

if __name__ == "__main__":
    sys.exit(main())
