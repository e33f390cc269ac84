"""A headless Chromium driven over the DevTools protocol, for the catalog site's browser test.

No driver and no browser download: the system's Chrome or Chromium is started with
``--remote-debugging-pipe`` and spoken to over two pipes (JSON messages ended by NUL bytes),
with the standard library only. ``python -m cornlake_toolkit.site.browser`` prints the browser
it would use, or says how to install one (exit code 2): ``make`` uses it before the tests.
POSIX only (the pipes are handed to the browser as file descriptors 3 and 4).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cornlake_toolkit.errors import ToolkitError

BROWSER_ENV = "CORNLAKE_CHROME"  # a browser to use instead of the first one found
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
PLACES = (
    "/usr/bin/chromium",
    "/usr/lib/chromium/chromium",
    "/snap/bin/chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
INSTALL_HINT = (
    "install one: `sudo apt-get install -y chromium` (Debian, Ubuntu), `brew install --cask chromium` "
    f"(macOS), or Google Chrome; or set {BROWSER_ENV}=/path/to/chrome"
)


class BrowserError(ToolkitError):
    """No browser to drive, or the browser did not answer as the DevTools protocol says."""

    code = "browser"


def find_browser() -> str:
    """The browser to drive: $CORNLAKE_CHROME, else the first Chrome or Chromium found."""
    chosen = os.environ.get(BROWSER_ENV, "")
    if chosen:
        if not os.access(chosen, os.X_OK):
            raise BrowserError(f"{BROWSER_ENV}={chosen} is not an executable", hint=INSTALL_HINT)
        return chosen
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    for place in PLACES:
        if os.access(place, os.X_OK):
            return place
    raise BrowserError("no Chrome or Chromium found for the catalog site's browser test", hint=INSTALL_HINT)


# The browser reads commands on fd 3 and answers on fd 4: a tiny launcher puts the pipes there.
_HAND_OVER = (
    "import os, sys\n"
    "os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4)\n"
    "os.close(int(sys.argv[1])); os.close(int(sys.argv[2]))\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


def _high_fd(fd: int) -> int:
    """A copy of ``fd`` numbered 10 or more, so handing it out as 3 or 4 cannot clobber the other."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class Browser:
    """One headless browser process; ``page()`` opens a tab."""

    def __init__(self, executable: str | None = None, *, timeout: float = 30.0) -> None:
        self.executable = executable or find_browser()
        self.timeout = timeout
        self.profile = Path(tempfile.mkdtemp(prefix="cornlake-chrome-"))
        self._next_id = 0
        self._buffer = b""
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Browser:
        to_child_r, to_child_w = (_high_fd(fd) for fd in os.pipe())
        from_child_r, from_child_w = (_high_fd(fd) for fd in os.pipe())
        command = [sys.executable, "-c", _HAND_OVER, str(to_child_r), str(from_child_w), self.executable]
        command += [*FLAGS, f"--user-data-dir={self.profile}", "about:blank"]
        with (self.profile / "browser.log").open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - the browser found above, fixed flags
                command, pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        os.close(to_child_r)
        os.close(from_child_w)
        self._writer, self._reader = to_child_w, from_child_r
        self.send("Browser.getVersion")
        return self

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            try:
                self.send("Browser.close")
                self._process.wait(timeout=10)
            except (BrowserError, OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait(timeout=10)
        for fd in (getattr(self, "_writer", -1), getattr(self, "_reader", -1)):
            if fd >= 0:
                os.close(fd)
        self._writer = self._reader = -1
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _log_tail(self) -> str:
        try:
            return (self.profile / "browser.log").read_text(errors="replace")[-1500:]
        except OSError:
            return ""

    def _message(self, deadline: float) -> dict[str, Any]:
        """The next message from the browser (an answer or an event)."""
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._reader], [], [], max(left, 0))
            chunk = os.read(self._reader, 1 << 16) if ready else b""
            if not chunk:
                why = "did not answer in time" if not ready else "closed its pipe"
                raise BrowserError(f"the browser {why}", hint=self._log_tail() or INSTALL_HINT)
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(raw))

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: str = "") -> dict[str, Any]:
        """Send one command and wait for its answer (events in between are dropped)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._writer, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._message(deadline)
            if answer.get("id") == self._next_id:
                break
        if "error" in answer:
            raise BrowserError(f"{method} failed: {answer['error'].get('message', answer['error'])}")
        return dict(answer.get("result", {}))

    def page(self, *, width: int = 1280, height: int = 900, mobile: bool = False) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, str(session), str(target))
        page.send("Page.enable")
        page.send("Runtime.enable")
        page.send("Emulation.setFocusEmulationEnabled", {"enabled": True})
        page.viewport(width, height, mobile=mobile)
        return page


class Page:
    """One tab: navigate, evaluate JavaScript, click and type as a user, take screenshots."""

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, session=self.session)

    def viewport(self, width: int, height: int, *, mobile: bool = False) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    def __init__(self, browser: Browser, session: str, target: str) -> None:
        self.browser, self.session, self.target = browser, session, target

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target})

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})
        self.wait_for(f"document.readyState === 'complete' && location.href === {json.dumps(url)}")

    def wait_for(self, expression: str) -> Any:
        """Poll a JavaScript expression until it is truthy (a navigation, a script's work)."""
        deadline = time.monotonic() + self.browser.timeout
        while True:
            try:
                value = self.evaluate(expression)
            except BrowserError:  # the page is being replaced by the next one
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"waited {self.browser.timeout:.0f}s for: {expression}")
            time.sleep(0.05)

    def press(self, key: str, code: int) -> None:
        """Press and release one key (``Enter``, 13) where the focus is."""
        text = {"Enter": "\r"}.get(key, "")
        for kind in ("keyDown", "keyUp"):
            event = {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code}
            self.send(
                "Input.dispatchKeyEvent", event | ({"text": text} if text and kind == "keyDown" else {})
            )

    def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        """The value of a JavaScript expression (a promise's value with ``await_promise``)."""
        result = self.send(
            "Runtime.evaluate",
            {
                "expression": expression,
                "returnByValue": True,
                "awaitPromise": await_promise,
                "userGesture": True,
            },
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            raise BrowserError(f"JavaScript failed: {text}")
        return result.get("result", {}).get("value")

    def _center(self, selector: str) -> tuple[float, float]:
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        if not box:
            raise BrowserError(f"nothing on the page matches {selector!r}")
        return float(box[0]), float(box[1])

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (a user gesture, as a person's)."""
        x, y = self._center(selector)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            event = {"type": kind, "x": x, "y": y, "button": "left" if kind != "mouseMoved" else "none"}
            self.send("Input.dispatchMouseEvent", event | ({"clickCount": 1} if kind != "mouseMoved" else {}))

    def type(self, selector: str, text: str) -> None:
        """Focus the element and type ``text`` into it, as a keyboard would (input events fire)."""
        self.click(selector)
        self.send("Input.insertText", {"text": text})

    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = self.send("Page.captureScreenshot", params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


def main() -> int:
    try:
        sys.stdout.write(find_browser() + "\n")
    except BrowserError as err:
        sys.stderr.write(f"error: {err.message}\n  hint: {err.hint}\n")
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
