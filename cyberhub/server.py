"""Running the hub under gunicorn, with the settings already resolved by the CLI."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from .config import Settings


class _HubServer(BaseApplication):
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        super().__init__()

    def load_config(self) -> None:
        settings = self._settings
        self.cfg.set("bind", f"{settings.host}:{settings.port}")
        self.cfg.set("workers", settings.workers)
        # Threads let one worker overlap slow clients with database work; the app holds no
        # per-thread state.
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", 4)
        self.cfg.set("loglevel", settings.log_level.lower())
        self.cfg.set("accesslog", "-")
        self.cfg.set("errorlog", "-")
        self.cfg.set("proc_name", "cyberhub")
        # Each worker builds its own app after the fork, so no database connection is shared.
        self.cfg.set("preload_app", False)
        self.cfg.set("graceful_timeout", 10)

    def load(self):
        from . import create_app

        return create_app(self._settings)


def run(settings: Settings) -> None:
    _HubServer(settings).run()
