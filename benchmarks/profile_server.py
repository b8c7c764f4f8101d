#!/usr/bin/env python3
"""Run cyberhub exactly like `cyberhub serve` (gunicorn, gthread, same settings), with every
request profiled by cProfile in the thread that serves it.

One profiler per (worker thread, HTTP method); each worker writes its profiles to
`--out/<METHOD>-<pid>-<n>.prof` when it exits (SIGTERM to the master). taxii_bench.py --profile
starts the hub with this script and merges the files. cProfile slows Python code down (often
1.5-3x), so use the percentages, not the absolute figures.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import threading
import time
from pathlib import Path

from cyberhub.hub.settings import load_settings
from cyberhub.hub.web.server import _HubServer


class ProfilingMiddleware:
    def __init__(self, app, out: Path, timer: str = "cpu") -> None:
        self.app = app
        self.out = out
        # "cpu": CPU time of the serving thread (time.thread_time), which leaves out waiting
        # for the GIL, the database and the network; "wall": elapsed time (includes waits,
        # and with several threads per worker the GIL waits land on whatever released it).
        self._timer = time.thread_time if timer == "cpu" else time.perf_counter
        self._local = threading.local()
        self._lock = threading.Lock()
        self._profiles: list[tuple[str, cProfile.Profile]] = []

    def _profiler(self, kind: str) -> cProfile.Profile:
        mine = getattr(self._local, "profilers", None)
        if mine is None:
            mine = self._local.profilers = {}
        profiler = mine.get(kind)
        if profiler is None:
            profiler = mine[kind] = cProfile.Profile(self._timer)
            with self._lock:
                self._profiles.append((kind, profiler))
        return profiler

    def __call__(self, environ, start_response):
        profiler = self._profiler(environ.get("REQUEST_METHOD", "OTHER"))
        profiler.enable()
        try:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)  # render inside the profile
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
            return [body]
        finally:
            profiler.disable()

    def dump(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        with self._lock:
            for n, (kind, profiler) in enumerate(self._profiles):
                profiler.dump_stats(str(self.out / f"{kind}-{os.getpid()}-{n}.prof"))


_MIDDLEWARE: ProfilingMiddleware | None = None


def _worker_exit(_server, _worker) -> None:
    if _MIDDLEWARE is not None:
        _MIDDLEWARE.dump()


class _ProfiledHub(_HubServer):
    def __init__(self, settings, out: Path, timer: str) -> None:
        self._out = out
        self._timer = timer
        super().__init__(settings)

    def load_config(self) -> None:
        super().load_config()
        self.cfg.set("worker_exit", _worker_exit)
        self.cfg.set("graceful_timeout", 30)

    def load(self):
        global _MIDDLEWARE
        _MIDDLEWARE = ProfilingMiddleware(super().load(), self._out, self._timer)
        return _MIDDLEWARE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timer", choices=("cpu", "wall"), default="cpu")
    args = parser.parse_args()
    settings = load_settings().model_copy(
        update={"host": args.host, "port": args.port, "workers": args.workers}
    )
    _ProfiledHub(settings, args.out, args.timer).run()


if __name__ == "__main__":
    main()
