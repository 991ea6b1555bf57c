"""Korean renders as Hangul, not as boxes: the machine has a CJK font and the pages' font stack
reaches it (a bare Linux has none; scripts/test installs fonts-noto-cjk)."""

from __future__ import annotations

import pytest

from tests.support.ui_pages import close_pages, open_page

pytestmark = pytest.mark.e2e

# Draws each text in the page's own font (the body's computed font) and returns its pixels as
# a string, so that two texts can be compared: a font without Hangul draws every syllable as
# the same missing-glyph box, as it draws a private-use character no font has.
GLYPH_PIXELS_JS = """
(texts) => {
  const font = getComputedStyle(document.body).font;
  return texts.map((text) => {
    const canvas = document.createElement("canvas");
    canvas.width = 64;
    canvas.height = 40;
    const context = canvas.getContext("2d");
    context.font = font.replace(/\\d+px/, "28px");
    context.fillStyle = "#000";
    context.textBaseline = "top";
    context.fillText(text, 4, 4);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let dark = 0;
    let signature = "";
    for (let i = 3; i < pixels.length; i += 4) {
      signature += pixels[i] > 127 ? "1" : "0";
      dark += pixels[i] > 127 ? 1 : 0;
    }
    return { dark, signature };
  });
}
"""


def test_hangul_renders_with_real_glyphs(relay, browser, request) -> None:
    """On the customer page in Korean, three Hangul syllables draw three different shapes, none
    of them the missing-glyph box that a private-use character gets."""
    page = open_page(browser, relay.url + "/", locale="ko-KR")
    try:
        ga, gak, han, missing = page.evaluate(GLYPH_PIXELS_JS, ["가", "각", "한", "\U000f0000"])
        for glyph in (ga, gak, han):
            assert glyph["dark"] > 20, "a Hangul syllable drew (almost) nothing"
            assert glyph["signature"] != missing["signature"], "Hangul drawn as missing-glyph boxes"
        assert len({ga["signature"], gak["signature"], han["signature"]}) == 3, (
            "different syllables drew the same shape: boxes, not Hangul"
        )
    finally:
        close_pages([page], request)
