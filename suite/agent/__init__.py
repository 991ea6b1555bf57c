"""The agent desktop app, in three processes.

- ``app/``: the GUI process: pywebview windows (``shell``) over an embedded Bottle server on
  127.0.0.1 (``local_api`` and its route modules), local ``settings``, the ``relay_client``,
  and ``presentations``, which starts one presenter child per presenting session.
- ``presenter/``: the presenter child (``python -m suite.agent.presenter``): the capture loop,
  its screen ``channel`` to the relay, ``control`` and ``drawing`` wiring, ``status`` lines.
- ``overlay/``: the drawing overlay grandchild (``python -m suite.agent.overlay``): the shaped
  X11 ``window``, its pure ``board``, and the presenter's ``link`` to it.

``__main__`` wires the GUI process together. What the agent app shares with the one-time viewer
is in :mod:`suite.files`; control injection is :mod:`suite.control`.
"""
