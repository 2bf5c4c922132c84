"""Debian's Chromium driven by Playwright, for the web page's tests and its screenshots.

Playwright's own browser downloads are never used: the browser is the system's
(``apt-get install chromium``; scripts/test installs it when run as root).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

#: Where Debian's package puts the browser.
CHROMIUM = "/usr/bin/chromium"


def missing() -> str | None:
    """Why the browser cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not os.access(CHROMIUM, os.X_OK) and shutil.which("chromium") is None:
        return f"{CHROMIUM} is not installed (apt-get install chromium; scripts/test does, as root)"
    return None


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed afterwards, with a home of its own (Chromium writes its
    settings and crash reports under $HOME/.config, never to be the user's)."""
    from playwright.sync_api import sync_playwright

    executable = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    with (
        tempfile.TemporaryDirectory(prefix="slurmgate-chromium-home-") as home,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            env={**os.environ, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config"},
        )
        try:
            yield browser
        finally:
            browser.close()
