"""The tests' own library: test files import helpers from here and never from one another;
fixtures live in the conftest.py files (tests/, tests/integration/, tests/e2e/).

- Waiting: ``waiting.wait_until(condition, what, timeout_s)``, the one polling loop.
- The relay: ``relay`` (a relay subprocess on port 0), ``api`` (its HTTP API), ``chat_client``
  (a websocket client, ``hello_frame``), ``conversation`` (an agent and a customer in a
  support), ``screen_socket`` (screen-channel sockets: ScreenWatcher, CanvasWatcher, Viewer,
  ``screen_hello``), ``region_frames`` (hand-made region frames), ``cutting_proxy``.
- The agent app: ``local_api`` (LocalClient, RecordingDesktop, SECRET), ``desktop_ui`` (its
  windows as Chromium pages), ``agent_app`` and ``desktop_flow`` (the real app under Xvfb),
  ``cdp``, ``network`` (a closed port, impostor servers), ``processes`` (/proc).
- Pages and presentations: ``ui_pages`` (drive the pages like a person), ``socket_tap``,
  ``viewer_presenter`` (a test-held presenter socket and the viewer page), ``screen_content``.
- Files: ``files`` (make_file, spooled, rss_kib, png_bytes).
- The desktop: ``xvfb``, ``x11``, ``x11_paint``, ``x11_monitors``, ``input_target``.
- Builds: ``builds``, ``builds_ahead`` (the builds scripts/test starts in the background),
  ``viewer_program``.
"""
