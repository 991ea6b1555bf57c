"""The browser tests' default page sizes are the sizes the product promises: the customer's
pages and the admin site on a 1280x800 desktop, the agent's page at 1280x720."""

from __future__ import annotations

import pytest

from tests.support.ui_pages import default_viewport


@pytest.mark.parametrize(
    ("path", "size"),
    [
        ("/", (1280, 800)),
        ("/?code=123456789", (1280, 800)),
        ("/viewer/", (1280, 800)),
        ("/admin", (1280, 800)),
        ("/agent", (1280, 720)),
        ("/agent/help.html", (1280, 720)),
    ],
)
def test_a_page_opens_at_the_size_the_product_promises(path, size):
    """Without a viewport a test sees each page at its promised size."""
    viewport = default_viewport(path)
    assert (viewport["width"], viewport["height"]) == size
