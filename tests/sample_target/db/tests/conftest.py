import psycopg
import pytest


@pytest.fixture
def conn():
    # libpq reads PGHOST, PGPORT, PGUSER and PGDATABASE from the environment.
    with psycopg.connect("") as connection:
        yield connection
