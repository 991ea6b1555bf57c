"""The call audio helpers of the recording (P9), loaded as the chat window loads them."""

from __future__ import annotations

import pytest

from tests.support.ui_pages import PageFactory

pytestmark = pytest.mark.e2e


def test_pcm_is_clipped_little_endian_16_bit_and_times_are_wall_clock(open_ui: PageFactory):
    """Floats become clipped s16le samples in base64, and a context time maps to Unix ms
    through the context's output timestamp."""
    page = open_ui("/")
    result = page.evaluate(
        """async () => {
            const m = await import("/ui/common/call/call_audio_pcm.js");
            const b64 = m.pcmBase64([new Float32Array([0, 1, -1]), new Float32Array([2, -0.5])]);
            const bytes = Array.from(atob(b64), (c) => c.charCodeAt(0));
            const at = m.chunkTime(10.5, { contextTime: 10, performanceTime: 2000 }, 1.7e12);
            return { bytes, at };
        }"""
    )
    # 0, full scale both ways, 2 clipped to full scale, -0.5 * 32767 rounded (Math.round)
    samples = [
        int.from_bytes(bytes(result["bytes"][i : i + 2]), "little", signed=True)
        for i in range(0, len(result["bytes"]), 2)
    ]
    assert samples == [0, 32767, -32767, 32767, -16383]
    assert result["at"] == 1.7e12 + 2000 + 500
