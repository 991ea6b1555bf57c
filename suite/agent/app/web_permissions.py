"""Which browser permissions the agent app's pages get, and the Qt handler that applies it.

A page in a QtWebEngine window that calls ``navigator.clipboard.writeText`` (Copy invitation)
makes the engine ask the embedder for the ``ClipboardReadWrite`` feature. pywebview 6.2's Qt
backend answers every such request with a plain int as the policy, which PyQt6 refuses with a
TypeError raised inside a Qt slot, and PyQt then aborts the whole process: one click on Copy
took every open chat down (https://github.com/r0x0r/pywebview/issues/1639 reports the same
path). ``install_qt_handler`` replaces pywebview's slot before any window exists.

The policy itself is pure: only the app's own pages (the local server's origin) may use the
clipboard, the camera and the microphone (the video call); everything else, and every other
feature, is refused.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

# Features the app's own pages may use. Names are QWebEnginePage.Feature member names.
LOCAL_FEATURES = frozenset(
    {"ClipboardReadWrite", "MediaAudioCapture", "MediaVideoCapture", "MediaAudioVideoCapture"}
)


def origin_of(url: str) -> str:
    """``scheme://host:port`` of ``url``, lower-cased; "" when it has no host."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return ""
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower(), 0)
    return f"{parts.scheme.lower()}://{parts.hostname.lower()}:{port}"


def allows(page_url: str, feature: str, local_url: str) -> bool:
    """Whether a page at ``page_url`` may use ``feature`` in an app served at ``local_url``."""
    local_origin = origin_of(local_url)
    return bool(local_origin) and origin_of(page_url) == local_origin and feature in LOCAL_FEATURES


def install_qt_handler(local_url: str) -> None:
    """Make pywebview's Qt pages answer permission requests by :func:`allows`, with the enum
    PyQt6 expects. Call after ``prepare_environment()`` and before the first window is shown."""
    from webview.platforms import qt

    page_class = qt.BrowserView.WebPage
    permission_policy = qt.QWebPage.PermissionPolicy

    def on_feature_permission_requested(page, url, feature) -> None:  # noqa: ANN001 (Qt types)
        name = getattr(feature, "name", str(feature))
        granted = allows(url.toString(), name, local_url)
        verdict = "granted" if granted else "refused"
        logger.info("page permission %s for %s: %s", name, url.toString(), verdict)
        policy = (
            permission_policy.PermissionGrantedByUser
            if granted
            else permission_policy.PermissionDeniedByUser
        )
        page.setFeaturePermission(url, feature, policy)

    # pywebview creates the pages itself, so its page class is patched.
    page_class.onFeaturePermissionRequested = on_feature_permission_requested  # type: ignore[method-assign]
