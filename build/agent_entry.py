"""Entry point of the frozen agent app (build/agent.spec).

The agent app starts helper processes as ``sys.executable -m suite.agent.presenter ...`` (and
``suite.screen.sources``). In a frozen build ``sys.executable`` is this program, so it must run
those modules when asked with ``-m``, like a Python interpreter would; only the app's own helper
modules are accepted.
"""

import runpy
import sys

CHILD_MODULES = ("suite.agent.presenter", "suite.agent.overlay", "suite.screen.sources")


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == "-m":
        module = sys.argv[2]
        if module not in CHILD_MODULES:
            sys.exit(f"remotesales-agent: no helper module {module!r}")
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return
    from suite.agent.__main__ import main as agent_main

    sys.exit(agent_main())


if __name__ == "__main__":
    main()
