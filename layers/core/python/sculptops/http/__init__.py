"""Shared FastAPI pieces: the app factory, errors, the caller dependency, schemas, routers."""
