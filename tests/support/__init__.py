"""Helpers the tests share: a local fake GitHub, history builders, the linters, a PostgreSQL server."""
