"""Wiring, once: the hub's collaborators built from its settings.

Every entry point (`cyberhub serve` through `create_app`, the `cyberhub` commands, the
scheduler, the demo and the tests) builds its `Hub` here, so the signing key is read, the hub
identity looked up, the warning lists loaded (the files and the database's) and the correlation
engine built in one place.
Services receive what they need from it as arguments; nothing looks them up later.
"""

from __future__ import annotations

from dataclasses import dataclass

from cyberhub.core import addresses
from cyberhub.core.keyfiles import read_key_file
from cyberhub.hub.correlation import warninglists
from cyberhub.hub.correlation.service import Correlator, rules_from
from cyberhub.hub.federation import receiving, relaying
from cyberhub.hub.federation.forwarding import Forwarder
from cyberhub.hub.services.ingest import Ingest
from cyberhub.hub.services.publishing import Signer
from cyberhub.hub.settings import Settings
from cyberhub.hub.setup import NotInitialised, hub_identity, is_initialised
from cyberhub.hub.storage.database import Database


@dataclass(frozen=True)
class Hub:
    settings: Settings
    db: Database
    signer: Signer
    correlator: Correlator
    ingest: Ingest
    forwarder: Forwarder
    # Where pushes may go besides public addresses: the setting, parsed once.
    push_allowed_networks: tuple[addresses.Network, ...] = ()

    @property
    def identity(self) -> str:
        """The hub's STIX identity id."""
        return self.signer.identity

    def close(self) -> None:
        self.db.dispose()


def bootstrap(settings: Settings, db: Database | None = None) -> Hub:
    """The hub of these settings; NotInitialised when `cyberhub init` has not run, and
    WarninglistError / KeyFileError when its files are broken."""
    db = db or Database(settings.effective_database_url)
    if not is_initialised(db):
        raise NotInitialised(f"no hub is set up at {settings.home} yet; run `cyberhub init` "
                             "first")
    with db.session() as session:
        identity = hub_identity(session)["id"]  # type: ignore[index]
    signer = Signer(read_key_file(settings.signing_key_path), identity)
    correlator = Correlator(lists=warninglists.load_hub(settings.warninglists_dir, db),
                            rules=rules_from(settings), signer=signer)
    ingest = Ingest(db, hub_identity=identity, max_object_size=settings.max_object_size,
                    correlation=correlator, relays=receiving)
    forwarder = Forwarder(db, signer, settings.secret(), relaying.Rules(
        settings.forward_original, settings.forward_pseudonymised))
    return Hub(settings, db, signer, correlator, ingest, forwarder,
               push_allowed_networks=addresses.networks(settings.push_allowed_networks))
