"""Exports: the indicators a principal may read, in the formats that MISP, firewalls, resolvers
and IDS already take (a MISP event, CSV, plain lists, Suricata rules, the agent's blocklists).

`sources` decides which indicator objects an export holds, with the rights and the visibility
rule of TAXII reads; `values` reads the values out of their patterns; one module per format
renders them; `service.export` ties them together for the command line and the web endpoints.
"""
