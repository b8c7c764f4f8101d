"""The TAXII 2.1 blueprint: one module per area of the specification, thin views.

Views parse the request, call one service function, and serialise; the services know nothing of
Flask, so the console and the command line share them.
"""
