"""A small headless Chromium driver over the DevTools protocol (websocket-client).

The same approach as Odoo's own test browser (odoo/tests/common.py): Chromium
writes its debugging port to DevToolsActivePort in a throw-away profile, and
every command is a JSON message on the page's websocket. Nothing to download:
it drives the system's Chromium.
"""

import base64
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

SWITCHES = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-translate",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
    "--force-device-scale-factor=1",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]


class BrowserError(RuntimeError):
    pass


class HeadlessChromium:
    def __init__(self, executable="/usr/bin/chromium", width=1440, height=900):
        self.width, self.height = width, height
        self._profile = tempfile.TemporaryDirectory(prefix="sales_roles_chromium_")
        # Its own process group: closing the browser ends its renderer and helper processes too.
        self._proc = subprocess.Popen(
            [
                executable,
                *SWITCHES,
                f"--window-size={width},{height}",
                f"--user-data-dir={self._profile.name}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._next_id = 0
        try:
            self._ws = websocket.create_connection(self._page_websocket(), timeout=60, suppress_origin=True)
            self.send(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
        except Exception:
            self.close()
            raise

    def _page_websocket(self):
        port_file = Path(self._profile.name, "DevToolsActivePort")
        for _ in range(200):
            if port_file.is_file() and port_file.stat().st_size > 5:
                port = int(port_file.read_text().split()[0])
                break
            if self._proc.poll() is not None:
                raise BrowserError("Chromium exited at start")
            time.sleep(0.1)
        else:
            raise BrowserError("Chromium did not open its debugging port")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            pages = [target for target in json.load(response) if target["type"] == "page"]
        return pages[0]["webSocketDebuggerUrl"]

    def close(self):
        if getattr(self, "_ws", None):
            self._ws.close()
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
        self._profile.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ protocol
    def send(self, method, **params):
        """Send one command and return its result; events in between are skipped."""
        self._next_id += 1
        self._ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    # ------------------------------------------------------------ helpers
    def goto(self, url):
        self.send("Page.navigate", url=url)
        time.sleep(0.5)  # let the previous page unload before waiting for the next one

    def wait_for(self, expression, what, timeout=120):
        """Wait until a JavaScript expression is truthy."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(expression):
                    return
            except BrowserError:
                pass  # the page is changing under us
            time.sleep(0.25)
        raise BrowserError(f"timed out waiting for {what} on {self.evaluate('location.href')}")

    def wait_for_selector(self, selector, timeout=120):
        self.wait_for(f"!!document.querySelector({json.dumps(selector)})", selector, timeout)

    def click(self, selector):
        self.wait_for_selector(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))
