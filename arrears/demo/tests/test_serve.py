"""`arrears serve` in a real process: gunicorn answers the login page and static files, then stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, deadline: float) -> tuple[int, str]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_serve_answers_the_login_page_and_static_files_then_stops_on_sigterm(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(ARREARS_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings.base", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "arrears.cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        status, body = _get(f"http://127.0.0.1:{port}/login/", time.monotonic() + 60)
        assert status == 200
        assert 'name="password"' in body
        status, css = _get(f"http://127.0.0.1:{port}/static/web/app.css", time.monotonic() + 10)
        assert status == 200
        assert css.strip()
        assert (tmp_path / "staticfiles" / "web" / "app.css").exists()  # collectstatic ran
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"http://localhost:{port}/" in out
