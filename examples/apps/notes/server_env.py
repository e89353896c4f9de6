"""libpq's PG* variables from DATABASE_URL (shared by server.py and migrate.py)."""
import os
import urllib.parse


def pg_env():
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    env = dict(os.environ)
    env.update(PGHOST=url.hostname or "127.0.0.1", PGPORT=str(url.port or 5432),
               PGUSER=urllib.parse.unquote(url.username or ""), PGPASSWORD=urllib.parse.unquote(url.password or ""),
               PGDATABASE=url.path.lstrip("/"), PGCONNECT_TIMEOUT="3")
    return env
