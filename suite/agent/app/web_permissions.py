"""Which browser permissions the agent app's pages get, and the Qt handler that applies it.

A page in a QtWebEngine window that calls ``navigator.clipboard.writeText`` (Copy invitation)
makes the engine ask the embedder for the ``ClipboardReadWrite`` feature. pywebview 6.2's Qt
backend answers every such request with a plain int as the policy, which PyQt6 refuses with a
TypeError raised inside a Qt slot, and PyQt then aborts the whole process: one click on Copy
took every open chat down (https://github.com/r0x0r/pywebview/issues/1639 reports the same
path). ``install_qt_handler`` replaces pywebview's slot before any window exists.

The policy itself is pure: only the app's own pages (the local server's origin) may use the
clipboard; the camera and the microphone only a chat window whose support is in a call the
agent started or accepted (``call_gate.CallGate``, CH9); every other origin and every other
feature is refused.

pywebview's Qt backend also adds ``--use-fake-ui-for-media-stream`` to
``QTWEBENGINE_CHROMIUM_FLAGS`` when it creates a window: Chromium then grants the camera and
the microphone to every page of every origin without asking anyone (seen with pywebview 6.2 and
Qt 6.11: a page's ``getUserMedia`` resolved with no permission request at all).
``install_qt_handler`` keeps that flag out, so every request reaches the handler below.

Qt 6.8 replaced ``featurePermissionRequested`` with ``permissionRequested`` and a
``QWebEnginePermission`` to ``grant()`` or ``deny()``; it still emits both. The handler answers
the new one where it exists (PyQt6-WebEngine 6.11 here) and leaves the old one unanswered, so
each request gets exactly one answer. Media answers are transient in QtWebEngine: they last
as long as the page, and a later ``getUserMedia`` in the same page gets the first answer, grant
or refusal, without a new request (seen with Qt 6.11; ``docs/architecture.md``, *Calls in the
desktop app*). A request nobody answers
leaves the page's promise pending forever, so every request is answered. A denial reaches
the page as ``AbortError: Invalid state`` (not ``NotAllowedError``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

# Features the app's own pages may use. Names are QWebEnginePage.Feature member names (and the
# same QWebEnginePermission.PermissionType names).
LOCAL_FEATURES = frozenset({"ClipboardReadWrite"})
# ... and, in a chat window whose support is in a call, the camera and the microphone.
CALL_FEATURES = frozenset({"MediaAudioCapture", "MediaVideoCapture", "MediaAudioVideoCapture"})
# Chromium's switch that grants every media request without a permission request.
FAKE_MEDIA_UI_FLAG = "--use-fake-ui-for-media-stream"


def origin_of(url: str) -> str:
    """``scheme://host:port`` of ``url``, lower-cased; "" when it has no host."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return ""
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower(), 0)
    return f"{parts.scheme.lower()}://{parts.hostname.lower()}:{port}"


def allows(page_url: str, feature: str, local_url: str, in_call: bool = False) -> bool:
    """Whether a page at ``page_url`` may use ``feature`` in an app served at ``local_url``;
    ``in_call``: the page is a chat window whose support is in a call the agent started or
    accepted."""
    local_origin = origin_of(local_url)
    if not local_origin or origin_of(page_url) != local_origin:
        return False
    return feature in LOCAL_FEATURES or (in_call and feature in CALL_FEATURES)


def install_qt_handler(local_url: str, in_call: Callable[[Any], bool] = lambda page: False) -> None:
    """Make pywebview's Qt pages answer permission requests by :func:`allows`, with the types
    PyQt6 expects. Call after ``prepare_environment()`` and before the first window is shown.

    Args:
        in_call: whether a page (a ``QWebEnginePage``) is a chat window in a call; asked in
            the GUI thread at each request.
    """
    from webview.platforms import qt

    _keep_media_requests_asked(qt)
    page_class = qt.BrowserView.WebPage
    permission_policy = qt.QWebPage.PermissionPolicy

    def decide(page: Any, origin: str, name: str) -> bool:
        try:
            calling = name in CALL_FEATURES and bool(in_call(page))
        except Exception:  # never leave a request unanswered: the page would wait forever
            logger.exception("could not tell whether the page is in a call")
            calling = False
        granted = allows(origin, name, local_url, calling)
        verdict = "granted" if granted else "refused"
        logger.info("page permission %s for %s: %s", name, origin, verdict)
        return granted

    if hasattr(page_class, "permissionRequested"):  # Qt 6.8 and later
        original_init = page_class.__init__

        def init_page(page: Any, *args: Any, **kwargs: Any) -> None:
            original_init(page, *args, **kwargs)
            page.permissionRequested.connect(lambda permission: on_permission(page, permission))

        def on_permission(page: Any, permission: Any) -> None:
            name = permission.permissionType().name
            if decide(page, permission.origin().toString(), name):
                permission.grant()
            else:
                permission.deny()

        page_class.__init__ = init_page  # type: ignore[method-assign,assignment]
        # Qt still emits the old signal too: it stays unanswered (the new one decides).
        page_class.onFeaturePermissionRequested = lambda page, url, feature: None  # type: ignore[method-assign]
        return

    def on_feature_permission_requested(page, url, feature) -> None:  # noqa: ANN001 (Qt types)
        granted = decide(page, url.toString(), getattr(feature, "name", str(feature)))
        policy = (
            permission_policy.PermissionGrantedByUser
            if granted
            else permission_policy.PermissionDeniedByUser
        )
        page.setFeaturePermission(url, feature, policy)

    # pywebview creates the pages itself, so its page class is patched.
    page_class.onFeaturePermissionRequested = on_feature_permission_requested  # type: ignore[method-assign]


def _keep_media_requests_asked(qt: Any) -> None:
    """Stop pywebview's Qt backend from switching Chromium's media permission prompts off.

    It calls ``environ_append("QTWEBENGINE_CHROMIUM_FLAGS", FAKE_MEDIA_UI_FLAG, ...)`` as it
    makes each window, before Chromium reads the flags; the flag is dropped there (and from
    the environment, should it be there already), the other flags are kept.
    """
    original = qt.environ_append

    def environ_append(key: str, *values: str, sep: str = " ") -> None:
        kept = [value for value in values if value != FAKE_MEDIA_UI_FLAG]
        if kept:
            original(key, *kept, sep=sep)

    qt.environ_append = environ_append
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if FAKE_MEDIA_UI_FLAG in flags.split():
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(
            flag for flag in flags.split() if flag != FAKE_MEDIA_UI_FLAG
        )
