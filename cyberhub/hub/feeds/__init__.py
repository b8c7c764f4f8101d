"""The scheduled feed sync: what national CERTs and the community publish, in the hub.

One TOML file per source (`feeds/` in the project, `definitions`), one module per format
(`formats/`) turning a download into entries, and one writer (`sync`) that makes every entry a
hub-signed STIX object in the `indicators` or `vulnerabilities` collection, keeps the feed's
state (what it last saw, conditional-GET validators, cursors) in the database, and expires what
left the feed. `schedule` decides which feed is due and claims its run across processes.
"""
