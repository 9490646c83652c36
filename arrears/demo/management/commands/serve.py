"""`arrears serve`: collect static files, then serve the app with gunicorn in the foreground.

Static files come from WhiteNoise (in MIDDLEWARE). Ctrl-C (SIGINT) or SIGTERM stops the server.
If gunicorn cannot be imported, Django's `runserver --noreload --insecure` is used instead.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections


class Command(BaseCommand):
    help = "Serve the web app with gunicorn (static files through WhiteNoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("collectstatic", interactive=False, verbosity=0, stdout=io.StringIO())
        host, port = opts["host"], opts["port"]
        shown = "localhost" if host in {"127.0.0.1", "0.0.0.0"} else host
        # Workers are forked: they must not share the parent's database connections.
        connections.close_all()
        try:
            from gunicorn.app.base import BaseApplication
        except ImportError:
            self.stdout.write(f"Serving Arrears at http://{shown}:{port}/ with runserver (Ctrl-C to stop)")
            self.stdout.flush()
            call_command("runserver", f"{host}:{port}", use_reloader=False, insecure_serving=True)
            return

        from django.core.servers.basehttp import get_internal_wsgi_application

        application = get_internal_wsgi_application()  # settings.WSGI_APPLICATION, i.e. config.wsgi

        class App(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                self.cfg.set("bind", f"{host}:{port}")
                self.cfg.set("workers", opts["workers"])
                self.cfg.set("threads", 4)
                self.cfg.set("timeout", 120)
                self.cfg.set("graceful_timeout", 5)
                self.cfg.set("proc_name", "arrears")
                self.cfg.set("control_socket_disable", True)  # one shared ~/.gunicorn socket would clash

            def load(self) -> Any:
                return application

        self.stdout.write(f"Serving Arrears at http://{shown}:{port}/ (Ctrl-C to stop)")
        self.stdout.flush()
        App().run()
