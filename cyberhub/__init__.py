"""cyberhub: an incident sharing network for municipalities.

- `cyberhub.core`: pure code the hub and the agent share (STIX, signing, TLP, validation);
- `cyberhub.hub`: the TAXII 2.1 hub (storage, services, correlation, advisories, web, CLI);
- `cyberhub.agent`: the node agent on a town's server (imports `core` only);
- `cyberhub.demo`: the demo and the scenario generator, which drive both.
"""
