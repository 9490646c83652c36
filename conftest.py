"""Shared pytest fixtures: users of every role, a browser for end-to-end tests, shared data paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

REPO = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("ARREARS_SHARED_DIR", REPO.parent / "shared"))
IBM_CSV = SHARED / "data" / "ibm_late_payment" / "WA_Fn-UseC_-Accounts-Receivable.csv"
SCREENSHOTS = Path(os.environ.get("ARREARS_SCREENSHOTS", REPO / "screenshots"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def ibm_csv() -> Path:
    """The IBM late-payment file from ../shared/data; tests that use it skip cleanly without it."""
    if not IBM_CSV.exists():
        pytest.skip(f"shared data not found at {IBM_CSV} (set ARREARS_SHARED_DIR); CI always has it")
    return IBM_CSV


@pytest.fixture
def make_user(db):
    from arrears.users.services import user_create

    def make(username: str, role: str = "collector", team=None, **fields):
        return user_create(username=username, password="pw-" + username, role=role, team=team, **fields)

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", role="admin")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (browsers cannot be downloaded here)."""
    pytest.importorskip("playwright")
    from playwright.sync_api import sync_playwright

    exe = next((p for p in ("/usr/bin/chromium", "/usr/lib/chromium/chromium") if Path(p).exists()), None)
    if exe is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
