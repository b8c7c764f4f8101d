"""Correlation: the observable index, campaign detection across towns, and its explanations.

keys.py extracts comparable keys from STIX objects; warninglists.py keeps known-benign keys out;
index.py stores one row per (key, object) from town reports; detect.py finds campaigns in the
index; campaigns.py publishes them as hub-signed STIX; engine.py runs it all, incrementally
after each report and as a full pass.
"""
