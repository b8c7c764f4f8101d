"""The files `cyberhub-agent install` writes into the system: the systemd unit (its comments in
German: the town's administrator reads them), the wrapper `/usr/local/bin/cyberhub-agent`, and
the AppArmor rule that lets a resolver read the blocklists. Rendering only; `install` decides
where they go and when."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Mapping

APPARMOR_MARK = "# cyberhub-agent: Sperrlisten lesen (von cyberhub-agent install)"
WRAPPER_MARK = "# cyberhub-agent wrapper, geschrieben von `cyberhub-agent install`"

UNIT = """\
# systemd-Unit des cyberhub-Knotenagenten. `cyberhub-agent install` schreibt sie nach
# /etc/systemd/system/ und überschreibt sie beim nächsten Aufruf wieder; eigene Ergänzungen
# gehören deshalb in `systemctl edit cyberhub-agent` (eine Zusatzdatei, die erhalten bleibt).
#   cyberhub-agent install --resolver-group unbound      # einmal, als root
#   cyberhub-agent enroll --hub https://HUB --token TOKEN
#   systemctl enable --now cyberhub-agent
# Protokoll: journalctl -u cyberhub-agent    Zustand: cyberhub-agent status
[Unit]
Description=cyberhub-Knotenagent (Vorfälle melden, Warnungen der Leitstelle umsetzen)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User={user}
Group={user}
# Schlüssel, Zugangsdaten und Warteschlange: nur {user} darf hinein (Modus 0700).
Environment=CYBERHUB_AGENT_HOME={data_dir}
# Die Sperrlisten liegen getrennt davon; lesen darf sie die Gruppe {reader} (der Resolver).
Environment=CYBERHUB_AGENT_BLOCKLIST_DIR={blocklist_dir}
# Die Installation, aus der `cyberhub-agent install` lief.
ExecStart={entry} run
# SIGTERM lässt einen laufenden Versand zu Ende gehen; die Warteschlange übersteht auch Härteres.
KillSignal=SIGTERM
TimeoutStopSec=90
Restart=on-failure
RestartSec=30
# Neue Dateien sind privat; die Sperrlisten macht der Agent selbst für die Gruppe lesbar.
UMask=0077
NoNewPrivileges=yes
# Das ganze System ist für den Dienst nur lesbar; schreiben darf er nur in diese beiden
# Verzeichnisse. Home-Verzeichnisse sieht er nicht, /tmp ist sein eigenes.
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ReadWritePaths={data_dir} {blocklist_dir}
# Lädt apply_command die Datei cyberhub.nft in die Firewall (`nft -f`), braucht der Agent genau
# diese eine Berechtigung und keine weitere; sonst bleiben die beiden Zeilen auskommentiert.
# AmbientCapabilities=CAP_NET_ADMIN
# CapabilityBoundingSet=CAP_NET_ADMIN

[Install]
WantedBy=multi-user.target
"""

WRAPPER = """\
#!/bin/sh
{mark}
# Führt den installierten Agenten als Dienstbenutzer {user} mit dessen Datenverzeichnis aus:
# so gehört jede Datei dort {user}, auch wenn root den Befehl aufruft.
# Entfernen: cyberhub-agent uninstall
case "${{1-}}" in
  install|uninstall) exec {entry} "$@" ;;  # richten das System ein: bleiben root
esac
if [ "$(id -u)" = 0 ]; then
  exec runuser -u {user} -- env {environment} {entry} "$@"
fi
if [ "$(id -un)" = {user} ]; then
  exec env {environment} {entry} "$@"
fi
echo "cyberhub-agent: bitte als root aufrufen (sudo cyberhub-agent ...); der Agent läuft als" \\
  "{user}. Einen eigenen Agenten starten Sie mit {entry}." >&2
exit 1
"""


def render_unit(*, user: str, data_dir: Path, blocklist_dir: Path, reader: str,
                entry: tuple[str, ...]) -> str:
    """`entry` is the command of the installation; `reader` the group that reads blocklists."""
    return UNIT.format(user=user, data_dir=data_dir, reader=reader, blocklist_dir=blocklist_dir,
                       entry=" ".join(entry))


def render_wrapper(*, user: str, environment: Mapping[str, str], entry: tuple[str, ...]) -> str:
    settings = " ".join(f"{key}={shlex.quote(value)}" for key, value in environment.items())
    return WRAPPER.format(mark=WRAPPER_MARK, user=user, environment=settings,
                          entry=" ".join(shlex.quote(part) for part in entry))


def apparmor_rules(blocklist_dir: Path) -> str:
    return f"{APPARMOR_MARK}\n{blocklist_dir}/ r,\n{blocklist_dir}/** r,\n"


