"""Pure code the hub and the agent share: STIX parsing and validation, signing, TLP,
timestamps, patterns, key files, settings files, the scheduler loop and CLI output. It imports
nothing of the hub or the agent."""
