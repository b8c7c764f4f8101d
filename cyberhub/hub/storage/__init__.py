"""Storage: the models, the database and its migrations, and the one object repository
(`objects.py`) with the read-side sharing rule (`visibility.py`). Nothing here imports a layer
above it."""
