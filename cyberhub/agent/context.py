"""The agent's one wiring point: settings, the local store, the key, and a hub client built
from what enrolment stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cyberhub.agent import node_key
from cyberhub.agent.hub_client import HubClient
from cyberhub.agent.node_settings import AgentSettings
from cyberhub.agent.store import Store, make_private_dir
from cyberhub.agent.texts import Problem
from cyberhub.core import signing


class NotEnrolled(Problem):
    """The agent has not enrolled with a hub yet."""

    def __init__(self) -> None:
        super().__init__("agent.context.not_enrolled")


@dataclass
class Agent:
    settings: AgentSettings
    store: Store
    _client: HubClient | None = field(default=None, repr=False)

    @property
    def enrolled(self) -> bool:
        return self.store.get("identity") is not None

    def require_enrolled(self) -> None:
        if not self.enrolled:
            raise NotEnrolled()

    @property
    def identity(self) -> dict[str, Any]:
        self.require_enrolled()
        return self.store.get("identity_object")

    @property
    def identity_id(self) -> str:
        self.require_enrolled()
        return self.store.get("identity")

    @property
    def hub_identity(self) -> str:
        return self.store.get("hub_identity")

    def key(self) -> Ed25519PrivateKey:
        return node_key.load_key(self.settings.home / node_key.KEY_FILE)

    def kid(self) -> str:
        return signing.thumbprint(signing.public_jwk(self.key()))

    def client(self) -> HubClient:
        self.require_enrolled()
        if self._client is None:
            self._client = self.new_client(self.store.get("hub_url"),
                                           username=self.store.get("username"),
                                           password=self.store.get("password"))
        return self._client

    def new_client(self, url: str, **credentials: Any) -> HubClient:
        verify: bool | str = str(self.settings.ca_file) if self.settings.ca_file else True
        return HubClient(url, verify=verify, timeout=self.settings.request_timeout,
                         allow_http=self.settings.allow_http, **credentials)

    def hub_keys(self) -> dict[str, signing.RegisteredKey]:
        """The hub's public keys as enrolment (or the last refresh) stored them."""
        found = {}
        for jwk in (self.store.get("hub_jwks") or {}).get("keys", []):
            try:
                kid = signing.thumbprint(jwk)
            except (KeyError, TypeError, ValueError):
                continue
            # An upstream hub's key the hub pinned names that hub ("Relaying between hubs"):
            # it vouches for that hub's advisories, never for this hub's.
            owner = jwk.get("cyberhub_hub") if isinstance(jwk.get("cyberhub_hub"), str) \
                else self.hub_identity
            found[kid] = signing.RegisteredKey(kid=kid, jwk=jwk, identity=owner)
        return found

    def trusted_hubs(self) -> set[str]:
        """Whose advisories count: this hub's, and those of the upstream hubs its JWKS lists
        (`cyberhub_hub`), whose advisories it passes on with their own signatures."""
        return {self.hub_identity} | {
            jwk["cyberhub_hub"] for jwk in (self.store.get("hub_jwks") or {}).get("keys", [])
            if isinstance(jwk, dict) and isinstance(jwk.get("cyberhub_hub"), str)}

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self.store.close()


def open_agent(settings: AgentSettings) -> Agent:
    make_private_dir(settings.home)
    return Agent(settings=settings, store=Store(settings.database))
