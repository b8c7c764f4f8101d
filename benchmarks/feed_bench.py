#!/usr/bin/env python3
"""The feed sync at the size of a real list (issue 14): time and memory of one large run.

Targets: a 100,000-line CSV feed in <= 30 s on SQLite, with memory that does not grow with
the feed; an unchanged feed's sync in <= 1 s.

A generated Feodo-Tracker-style CSV (N unique public IPv4 addresses, abuse.ch's header and
columns) is served by a real HTTP server on a loopback port (`http.server`, which sends
Last-Modified and answers If-Modified-Since with 304). A fresh hub (`setup.initialise`, as
`cyberhub init`) runs the shipped `abusech-feodo` feed file pointed at it, as `cyberhub feeds
sync` does: download, parse, check every value, build and sign the STIX, store it, keep the
entries. Each size runs in its own process, so its peak resident memory (ru_maxrss) is its
own; the same process then syncs again (the server answers 304: nothing new stored) and once
more with a server that ignores validators (same bytes: recognised by their SHA-256).

Run:  .venv/bin/python benchmarks/feed_bench.py [--sizes 10000,100000] [--database-url URL]
      [--record]
Writes benchmarks/results/feed-<database>.json; `--record` rewrites the feed block of
benchmarks/RESULTS.md. A PostgreSQL database's name must contain "bench" (it is emptied).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
from cyberhub.core import addresses  # noqa: E402 - after the path is set

BEGIN, END = "<!-- feed_bench:begin -->", "<!-- feed_bench:end -->"


def write_list(path: Path, size: int) -> None:
    rng = random.Random(size)
    seen: set[str] = set()
    with path.open("w", encoding="utf-8") as out:
        out.write("#" * 64 + "\n# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)\n"
                  '# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"\n')
        while len(seen) < size:
            ip = ".".join(str(rng.randint(1, 223 if part == 0 else 254)) for part in range(4))
            if ip in seen or addresses.refusal(ipaddress.ip_address(ip)):
                continue
            seen.add(ip)
            out.write(f'"2026-11-{rng.randint(1, 28):02d} 10:00:00","{ip}","443","online",'
                      f'"2026-12-04","{rng.choice(["Emotet", "QakBot", "Pikabot"])}"\n')


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class _NoValidators(_Quiet):
    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() != "last-modified":
            super().send_header(keyword, value)

    def send_head(self):  # ignore If-Modified-Since: always the whole file
        if "If-Modified-Since" in self.headers:
            del self.headers["If-Modified-Since"]
        return super().send_head()


def one_size(size: int, database_url: str | None) -> dict:
    """Runs in a child process: build, serve, sync three times; the figures as a dict."""
    from cyberhub.core import timestamps
    from cyberhub.hub import setup
    from cyberhub.hub.bootstrap import bootstrap
    from cyberhub.hub.feeds import definitions, schedule, sync
    from cyberhub.hub.settings import load_settings
    from cyberhub.hub.storage.database import Database

    root = Path(tempfile.mkdtemp(prefix="feedbench-"))
    www = root / "www"
    www.mkdir()
    write_list(www / "ipblocklist.csv", size)
    servers = []
    for handler in (_Quiet, _NoValidators):
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(www)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    url = database_url or f"sqlite:///{root / 'hub.db'}"
    if database_url:
        _empty_postgres(database_url)
    settings = load_settings({"home": str(root / "home"), "database_url": url}, environ={})
    db = Database(settings.effective_database_url)
    setup.initialise(settings, db, now=timestamps.now_us())
    hub = bootstrap(settings, db)
    shipped = definitions.load_file(ROOT / "feeds" / "abusech-feodo.toml")
    figures: dict = {"lines": size}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for label, server in (("first", servers[0]), ("unchanged_304", servers[0]),
                          ("same_bytes", servers[1])):
        feed = shipped.model_copy(update={
            "url": f"http://127.0.0.1:{server.server_port}/ipblocklist.csv"})
        if label == "same_bytes":  # the cursor is per URL: teach it this URL's bytes first
            _run(db, hub, feed, schedule, sync, timestamps)
        started = time.perf_counter()
        result = _run(db, hub, feed, schedule, sync, timestamps)
        figures[label] = {"seconds": round(time.perf_counter() - started, 3),
                          **{k: v for k, v in result.counts().items() if k != "errors"},
                          "unchanged": result.unchanged, "errors": result.errors[:3]}
        if label == "first":
            figures["first"]["lines_per_second"] = round(
                size / figures["first"]["seconds"])
            figures["peak_rss_mib"] = round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
            figures["rss_before_mib"] = round(before / 1024, 1)
    for server in servers:
        server.shutdown()
    db.dispose()
    return figures


def _run(db, hub, feed, schedule, sync, timestamps):
    now = timestamps.now_us()
    with db.writing() as session:
        schedule.claim(session, feed, now=now, force=True)
    return sync.run(db, feed, signer=hub.signer, lists=hub.correlator.lists, now=now)


def _empty_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text
    if "bench" not in url.rsplit("/", 1)[-1]:
        raise SystemExit("the PostgreSQL database's name must contain 'bench'")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _record(results: dict) -> None:
    rows = []
    for database, runs in results.items():
        for run in runs:
            first = run["first"]
            rows.append(f"| {database} | {run['lines']:,} | {first['seconds']:.1f} s "
                        f"({first['lines_per_second']:,}/s) | {run['peak_rss_mib']} MiB "
                        f"| {run['unchanged_304']['seconds']:.3f} s "
                        f"| {run['same_bytes']['seconds']:.3f} s |")
    block = "\n".join([
        BEGIN,
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{platform.python_version()}, {platform.machine()}; written by "
        "`feed_bench.py --record`.", "",
        "| database | lines | first sync | peak RSS | unchanged (304) | unchanged (same "
        "bytes) |", "|---|---:|---:|---:|---:|---:|", *rows, END])
    path = HERE / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text += "\n\n## Feed sync (issue 14)\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--database-url")
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_size(args.child, args.database_url)))
        return
    database = "postgresql" if args.database_url else "sqlite"
    runs = []
    for size in (int(part) for part in args.sizes.split(",")):
        command = [sys.executable, __file__, "--child", str(size)]
        if args.database_url:
            command += ["--database-url", args.database_url]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(output.strip().splitlines()[-1]))
        print(json.dumps(runs[-1], indent=1))
    out = HERE / "results" / f"feed-{database}.json"
    out.write_text(json.dumps({"database": database, "runs": runs}, indent=2) + "\n")
    if args.record:
        recorded = {}
        for name in ("sqlite", "postgresql"):
            path = HERE / "results" / f"feed-{name}.json"
            if path.exists():
                recorded[name] = json.loads(path.read_text())["runs"]
        _record(recorded)


if __name__ == "__main__":
    main()
