"""The hub over HTTP: the Flask app (`app.py`), the request context, TAXII errors and media
types, `next` cursors, the TAXII blueprint (`taxii/`), the node API and the gunicorn server."""
