"""The notes app's migration: applies migrations/NNN_*.sql up to SCHEMA_VERSION, in order, each
once (recorded in schema_migrations), stopping at the first error (psql ON_ERROR_STOP)."""
import os
import pathlib
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
here = pathlib.Path(__file__).parent / "migrations"
target = int(os.environ.get("SCHEMA_VERSION", "0"))
from server_env import pg_env  # noqa: E402


def psql(*args, stdin=None, show=False):
    run = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", *args], input=stdin,
                         capture_output=True, text=True, env=pg_env(), timeout=120, check=False)
    if show:
        print(run.stdout, end="", flush=True)
    if run.returncode != 0:
        print(run.stderr.strip(), file=sys.stderr, flush=True)
        sys.exit(run.returncode)
    return run.stdout.strip()


psql(stdin="CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());")
applied = {int(v) for v in psql(stdin="SELECT version FROM schema_migrations;").split()}
for script in sorted(here.glob("[0-9][0-9][0-9]_*.sql")):
    version = int(script.name[:3])
    if version > target or version in applied:
        continue
    print(f"applying {script.name}", flush=True)
    psql("-f", str(script), show=True)
    psql("-v", f"v={version}", stdin="INSERT INTO schema_migrations (version) VALUES (:v);")
print(f"schema at version {target}", flush=True)
