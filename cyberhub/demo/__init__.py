"""`cyberhub demo` and the scenario generator: they drive the hub and town agents alike, so
they sit above both."""
