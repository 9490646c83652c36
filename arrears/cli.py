"""`arrears`: the one console entry point.

Our own commands (demo, serve, import, aging, ...) are Django management commands, so
`arrears migrate` or `arrears createsuperuser` pass straight through to Django.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    # Don't let OpenMP threads spin on a busy 2-core box (LightGBM, scikit-learn).
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    args = list(sys.argv[1:] if argv is None else argv)
    if (args and args[0] in {"-h", "--help"}) or not args:
        args = ["help"]
    from django.core.management import execute_from_command_line

    _ensure_var_dir()
    execute_from_command_line(["arrears", *args])


def _ensure_var_dir() -> None:
    from django.conf import settings

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    main()
