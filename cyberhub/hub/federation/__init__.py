"""Federation: Land hubs and a federal hub working together over TAXII 2.1 (the signing
specification's "Relaying between hubs").

A downstream hub (a Land hub) is a node of its upstream (the federal hub), with its own key and
a one-time enrolment token, as a town is. It forwards what its sharing rules allow, each
town's own signature kept beside its relay signature and its attestation of the town keys
(`relaying`, `forwarding`); the upstream verifies both and keeps the chain (`receiving`), so
its correlation engine sees every Land's towns at once. `peers` holds who is whose peer and
the JWKS pinned for each.
"""
