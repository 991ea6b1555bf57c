"""The shared whiteboard (CH3) in the one-time viewer program: the real program from source,
the system's WebKitGTK under Xvfb, driven by real X pointer events (xdotool), against a real
relay with the agent and the customer in Chromium.

The program is asked and accepts; a stroke drawn in its window reaches the customer's page and
a rectangle drawn there shows in the program; Print opens GTK's print dialog, which prints
only the board (to a PDF here, "Print to File"); Save as BMP saves the relay's BMP into the
program's received-files folder and says where, in English and in Korean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.api import Api
from tests.support.ui_pages import agent_login, by_id, customer_join, open_page, start_support
from tests.support.viewer_driver import ViewerDriver
from tests.support.waiting import wait_until
from tests.support.whiteboard import finish_drawing, get_bmp, start_drawing, wait_same_boards
from tests.support.xvfb import Xvfb

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

REPO_ROOT = Path(__file__).resolve().parents[2]
SYSTEM_GI = "/usr/lib/python3/dist-packages"  # Debian's PyGObject (python3-gi) for WebKitGTK
TITLE = "RemoteSales · Agent's screen"  # suite/viewer/app.py VIEWER_TITLE
CANVAS = "[data-testid=wb-canvas]"
BOARD = "document.querySelector('[data-testid=wb-canvas]').wbBoard"


# The program's canvas 20 px below the top-left corner of the rectangle, on its left edge:
# the customer's blue (#2563eb), or null.
RECTANGLE_PIXEL_JS = """(() => {
  const c = document.querySelector('[data-testid=wb-canvas]');
  const r = window.devicePixelRatio || 1;
  const v = c.wbView; // what its own frames painted: no paint() here
  const e = v.board.live().find((x) => x.kind === 'rectangle');
  const sx = Math.round((e.x - v.view.x) * v.view.zoom * r);
  const sy = Math.round((e.y - v.view.y + 20) * v.view.zoom * r);
  const d = c.getContext('2d').getImageData(sx, sy, 1, 1).data;
  return d[2] > 150 && d[0] < 120 ? Array.from(d) : null;
})()"""


# How the program's painter draws a new layer: "ready" (two workers), "failed" (the engine
# refused them: drawn here), "none" (no OffscreenCanvas or Worker); null while they start.
PAINTER_WAY_JS = """(() => {
  const p = document.querySelector('[data-testid=wb-canvas]').wbView.painter;
  const w = p.workers;
  const way = !w ? 'none' : w.ready ? 'ready' : w.failed ? 'failed' : null;
  return way && JSON.stringify({ workers: way, offThread: p.stats.offThread,
                                 rebuilt: p.stats.rebuilt });
})()"""


def _program_board(driver: ViewerDriver) -> list:
    return driver.evaluate(
        f"JSON.stringify({BOARD} ? {BOARD}.live().map((e) => [e.kind, e.color]) : null)"
    )


def test_the_viewer_program_accepts_draws_sees_the_others_and_prints(
    tmp_path: Path, relay_factory, browser
):
    """The program shows the agent's question, its click opens the board there; its stroke
    (real X pointer events) reaches the customer's Chromium page and the customer's rectangle
    is painted in the program; Print opens the print dialog and the PDF holds the board; Save
    as BMP writes the relay's BMP to Downloads/RemoteSales and the board shows that path, in
    English, then in Korean (a second file, the first kept), with Open folder beside it."""
    if subprocess.run([sys.executable, "-c", "import gi"], env={**os.environ,
                      "PYTHONPATH": SYSTEM_GI}, capture_output=True).returncode:  # fmt: skip
        pytest.skip("Debian's python3-gi is not installed")
    builds = tmp_path / "builds"
    builds.mkdir()
    (builds / "remotesales-viewer-linux").write_bytes(b"a stand-in build: the source runs")
    relay = relay_factory("--viewer-dir", str(builds))
    agent = open_page(browser, relay.url + "/agent")
    customer = open_page(browser, relay.url + "/")
    display = Xvfb().start()
    process = None
    try:
        agent_login(agent)
        customer_join(customer, start_support(agent))
        seat = json.loads(customer.evaluate("sessionStorage.getItem('rs.customer.session')"))
        status, issued, _ = Api(relay.url).request(
            "POST", "/api/viewer/tickets", json={"platform": "linux"}, token=seat["customer_token"]
        )
        assert status == 201, issued
        ticket = tmp_path / "RemoteSales-Viewer"
        with urllib.request.urlopen(relay.url + issued["download_url"], timeout=30) as reply:
            ticket.write_bytes(reply.read())
        port_file = tmp_path / "driver-port"
        # A recording `xdg-open` first on PATH: "Open folder" runs it with the folder.
        opener = tmp_path / "opener"
        opener.mkdir()
        opened = opener / "opened.log"
        (opener / "xdg-open").write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{opened}"\n')
        (opener / "xdg-open").chmod(0o755)
        env = display.env({
            "PATH": f"{opener}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{SYSTEM_GI}",
            "HOME": str(tmp_path), "RS_VIEWER_GUI": "gtk", "LANG": "C.UTF-8",
        })  # fmt: skip
        log = tmp_path / "viewer.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.viewer_driver", str(port_file), "--",
                 "--ticket-from", str(ticket)],
                cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        driver = ViewerDriver(port_file, display, TITLE)
        driver.wait_for("window.__rsViewer?.stats().status === 'online'", "the program online")

        # Asked in the program too: its own click opens the board in front of the screen.
        by_id(agent, "whiteboard-button").click()
        driver.wait_for(
            "!document.querySelector('[data-testid=whiteboard-prompt]')?.hidden", "the question"
        )
        driver.click("[data-testid=whiteboard-accept]")
        driver.wait_for(f"document.querySelector('{CANVAS}')?.offsetWidth > 0", "the board")
        expect(by_id(customer, "wb-canvas")).to_be_visible()
        expect(by_id(customer, "whiteboard-prompt")).to_be_hidden()

        # A stroke with the real pointer in the program's window reaches the customer's page.
        driver.drag(CANVAS, [(60 + 12 * i, 80 + (i % 3) * 15) for i in range(12)])
        customer.wait_for_function(
            f"() => {BOARD}.live().some((e) => e.kind === 'pen' && e.points.length >= 3)"
        )
        # And back: the customer's rectangle is on the program's board and in its pixels.
        start_drawing(customer, "rectangle", [[[200, 150], [300, 230]]])
        finish_drawing(customer)
        wait_until(lambda: len(json.loads(_program_board(driver))) == 2, "the rectangle")
        wait_same_boards([agent, customer])
        painted = driver.wait_for(RECTANGLE_PIXEL_JS, "the customer's rectangle, in blue")
        assert painted[2] > 150
        # A zoom draws a new layer: by the drawing workers where this WebKitGTK runs them, else
        # in the page's thread; either way the rectangle is there, sharp, at the new scale.
        ways = json.loads(driver.wait_for(PAINTER_WAY_JS, "the painter's way of drawing layers"))
        layers = ways["offThread"]
        driver.click("[data-testid=wb-zoom-in]")
        driver.wait_for(
            f"(() => {{ const p = document.querySelector('{CANVAS}').wbView.painter;"
            f" return p.stats.rebuilt > {ways['rebuilt']} && !p.zooming && !p.building; }})()",
            "the zoom's sharp layer",
        )
        painted = driver.wait_for(RECTANGLE_PIXEL_JS, "the rectangle after the zoom")
        assert painted[2] > 150
        ways = json.loads(driver.evaluate(PAINTER_WAY_JS))
        print("the program's layers:", ways)  # the report: which way this WebKitGTK took
        assert ways["offThread"] == layers + (1 if ways["workers"] == "ready" else 0), ways

        # Print: GTK's dialog; "Print to File" writes the board (only it) to a PDF.
        driver.click("[data-testid=wb-print]")
        wait_until(lambda: "Print" in driver.window_names(), "GTK's print dialog")
        driver.key("Down", "Return")
        pdf = tmp_path / "output.pdf"
        wait_until(lambda: pdf.exists() and pdf.stat().st_size > 0, "the printed PDF")
        driver.wait_for(
            "!document.querySelector('[data-testid=wb-print-sheet]')", "the print sheet gone"
        )
        assert pdf.read_bytes().startswith(b"%PDF")

        # Save as BMP: the program saves the relay's file and the board says where it went.
        status, relay_bmp = get_bmp(
            relay.url, seat["session_id"], f"Customer {seat['customer_token']}"
        )
        assert status == 200 and relay_bmp.startswith(b"BM")
        folder = tmp_path / "Downloads" / "RemoteSales"
        for language, name, said in (
            ("en", "whiteboard-1.bmp", "The board was saved as "),
            ("ko", "whiteboard-1 (1).bmp", "보드를 다음 파일로 저장했습니다: "),
        ):
            driver.evaluate(
                "(() => { const s = document.querySelector('[data-testid=language-select]');"
                f" s.value = '{language}'; s.dispatchEvent(new Event('change')); }})()"
            )
            driver.click("[data-testid=wb-save-bmp]")
            expected = f"{said}{folder / name}"
            shown = driver.wait_for(
                "(() => { const t = document.querySelector('[data-testid=wb-status]').textContent;"
                f" return t.includes({json.dumps(name)}) ? t : null; }})()",
                f"the saved path in {language}",
            )
            assert shown == expected
            assert (folder / name).read_bytes() == relay_bmp
        # Beside the path, "Open folder" shows that folder in the file manager.
        driver.click("[data-testid=wb-open-folder]")
        wait_until(
            lambda: opened.exists() and opened.read_text().split() == [str(folder)],
            "the file manager on the folder",
        )
        driver.close()
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        display.stop()
        agent.context.close()
        customer.context.close()
