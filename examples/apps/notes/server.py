"""The notes sample app: a small records table in PostgreSQL, reached with Debian's psql.

GET /notes lists the notes as JSON, POST /notes?text=... adds one, /healthz reads the table
(a read check: healthy only when the database answers and the schema is there), /version says
which version runs. DATABASE_URL (postgresql://user:password@host:port/database, a secret) is
split into libpq's PG* variables, so the password never appears on a command line.
"""
import json
import os
import subprocess
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from server_env import pg_env

VERSION = os.environ.get("APP_VERSION", "dev")


def sql(query, *values):
    """Runs one statement; values are psql variables (:'v1', ...), quoted by psql, never spliced."""
    args = ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"]
    for i, value in enumerate(values, 1):
        args += ["-v", f"v{i}={value}"]
    run = subprocess.run(args, input=query, capture_output=True, text=True, env=pg_env(), timeout=10, check=False)
    if run.returncode != 0:
        raise RuntimeError(run.stderr.strip())
    return run.stdout.strip()


class Handler(BaseHTTPRequestHandler):
    def answer(self, code, body):
        data = (json.dumps(body) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        try:
            if self.path == "/healthz":
                self.answer(200, {"ok": True, "notes": int(sql("SELECT count(*) FROM notes;"))})
            elif self.path == "/version":
                self.answer(200, {"version": VERSION})
            elif self.path == "/notes":
                rows = sql("SELECT coalesce(json_agg(n ORDER BY n.id), '[]') FROM notes n;")
                self.answer(200, json.loads(rows))
            else:
                self.answer(404, {"error": "not found"})
        except Exception as error:  # the read check fails: the app is not healthy
            self.answer(503, {"ok": False, "error": str(error)})

    def do_POST(self):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if not self.path.startswith("/notes") or "text" not in query:
            self.answer(400, {"error": "POST /notes?text=..."})
            return
        try:
            new_id = sql("INSERT INTO notes (text) VALUES (:'v1') RETURNING id;", query["text"][0])
            self.answer(201, {"id": int(new_id.splitlines()[0])})
        except Exception as error:
            self.answer(503, {"error": str(error)})

    def log_message(self, format, *args):
        print("%s %s" % (self.address_string(), format % args), flush=True)


ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
