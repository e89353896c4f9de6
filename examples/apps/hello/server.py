#!/usr/bin/env python3
"""hello: the DevOpsTools sample app (Python standard library only).

Endpoints: / (greeting), /healthz (200, or 503 when HELLO_UNHEALTHY=1), /version,
/metrics (Prometheus text: request count and latency histogram by status), /data (the
files in DATA_DIR, written by this and earlier versions).
Environment: PORT (8080), APP_VERSION, DATA_DIR (/data), HELLO_UNHEALTHY (0),
HELLO_ACCESS_LOG (0: log only start, data and stop lines).
`server.py --migrate` is the app's migration command: it records this version's schema in
DATA_DIR/schema-version and exits; `--migrate --fail` is a migration that fails (exit 3).
"""
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8080"))
VERSION = os.environ.get("APP_VERSION", "dev")
DATA_DIR = os.environ.get("DATA_DIR", "/data")
UNHEALTHY = os.environ.get("HELLO_UNHEALTHY", "0") not in ("", "0", "false")
ACCESS_LOG = os.environ.get("HELLO_ACCESS_LOG", "0") not in ("", "0", "false")
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
STARTED = time.time()


def log(message):
    # One write per line: python -u writes print's text and its newline separately, and podman's
    # log then records a partial line plus an empty one.
    sys.stdout.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} hello {VERSION}: {message}\n")
    sys.stdout.flush()


class Metrics:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}     # (method, path, status) -> count
        self.hist = {}       # status -> [bucket counts..., +Inf], sum

    def observe(self, method, path, status, seconds):
        with self.lock:
            key = (method, path, str(status))
            self.counts[key] = self.counts.get(key, 0) + 1
            buckets, total = self.hist.get(str(status), ([0] * (len(BUCKETS) + 1), 0.0))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            buckets[-1] += 1
            self.hist[str(status)] = (buckets, total + seconds)

    def render(self):
        lines = [
            "# HELP hello_http_requests_total HTTP requests served, by method, path and status.",
            "# TYPE hello_http_requests_total counter",
        ]
        with self.lock:
            for (method, path, status), count in sorted(self.counts.items()):
                lines.append(f'hello_http_requests_total{{method="{method}",path="{path}",status="{status}"}} {count}')
            lines += [
                "# HELP hello_http_request_duration_seconds HTTP request latency, by status.",
                "# TYPE hello_http_request_duration_seconds histogram",
            ]
            for status, (buckets, total) in sorted(self.hist.items()):
                for bound, count in zip(BUCKETS, buckets):
                    lines.append(f'hello_http_request_duration_seconds_bucket{{status="{status}",le="{bound}"}} {count}')
                lines.append(f'hello_http_request_duration_seconds_bucket{{status="{status}",le="+Inf"}} {buckets[-1]}')
                lines.append(f'hello_http_request_duration_seconds_sum{{status="{status}"}} {total:.6f}')
                lines.append(f'hello_http_request_duration_seconds_count{{status="{status}"}} {buckets[-1]}')
        lines += [
            "# HELP hello_info The running version.",
            "# TYPE hello_info gauge",
            f'hello_info{{version="{VERSION}"}} 1',
            "# HELP hello_start_time_seconds Start time of the process (Unix seconds).",
            "# TYPE hello_start_time_seconds gauge",
            f"hello_start_time_seconds {STARTED:.3f}",
        ]
        return "\n".join(lines) + "\n"


METRICS = Metrics()
KNOWN_PATHS = ("/", "/healthz", "/version", "/metrics", "/data")


def read_data():
    files = {}
    try:
        for name in sorted(os.listdir(DATA_DIR)):
            path = os.path.join(DATA_DIR, name)
            if os.path.isfile(path):
                with open(path, encoding="utf-8", errors="replace") as handle:
                    files[name] = handle.read(4096)
    except OSError as error:
        files["error"] = str(error)
    return files


def write_data():
    """Leaves a file per version in DATA_DIR and logs what earlier versions left."""
    try:
        os.makedirs(DATA_DIR, exist_ok=True)
        found = sorted(n for n in os.listdir(DATA_DIR) if n.startswith("written-by-"))
        log(f"data dir {DATA_DIR} holds {', '.join(found) if found else 'nothing yet'}")
        path = os.path.join(DATA_DIR, f"written-by-{VERSION}")
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(f"version {VERSION} started at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(STARTED))}\n")
        os.replace(path + ".tmp", path)
    except OSError as error:
        log(f"data dir {DATA_DIR} is not writable: {error}")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hello"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stalls
    sys_version = ""

    def do_GET(self):
        started = time.perf_counter()
        path = self.path.split("?", 1)[0]
        status, body, ctype = self.route(path)
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-App-Version", VERSION)
        self.end_headers()
        self.wfile.write(data)
        METRICS.observe("GET", path if path in KNOWN_PATHS else "other", status, time.perf_counter() - started)

    def route(self, path):
        if path == "/":
            return 200, f"hello from version {VERSION}\n", "text/plain; charset=utf-8"
        if path == "/healthz":
            if UNHEALTHY:
                return 503, "unhealthy: HELLO_UNHEALTHY is set\n", "text/plain; charset=utf-8"
            return 200, "ok\n", "text/plain; charset=utf-8"
        if path == "/version":
            return 200, json.dumps({"version": VERSION, "started": STARTED}) + "\n", "application/json"
        if path == "/metrics":
            return 200, METRICS.render(), "text/plain; version=0.0.4; charset=utf-8"
        if path == "/data":
            return 200, json.dumps({"dir": DATA_DIR, "files": read_data()}) + "\n", "application/json"
        return 404, "not found\n", "text/plain; charset=utf-8"

    def log_message(self, format, *args):  # noqa: A002 (BaseHTTPRequestHandler's name)
        if ACCESS_LOG:
            log(f"{self.address_string()} {format % args}")


class Server(ThreadingHTTPServer):
    request_queue_size = 1024   # http.server's default of 5 drops connections under load
    daemon_threads = False      # let in-flight requests finish on SIGTERM
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # HAProxy's health checks close with a reset: not an error worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def migrate(fail):
    """The migration command: one schema-version file, written atomically, or a failure."""
    if fail:
        log("migration failed on purpose: column 'greeting' already exists")
        return 3
    os.makedirs(DATA_DIR, exist_ok=True)
    path = os.path.join(DATA_DIR, "schema-version")
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(f"{VERSION}\n")
    os.replace(path + ".tmp", path)
    log(f"migrated the schema in {DATA_DIR} to version {VERSION}")
    return 0


def main():
    if "--migrate" in sys.argv[1:]:
        sys.exit(migrate("--fail" in sys.argv[1:]))
    write_data()
    server = Server(("0.0.0.0", PORT), Handler)

    def stop(signum, _frame):
        log(f"signal {signum}: finishing in-flight requests")
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log(f"listening on :{PORT}{' (unhealthy on purpose)' if UNHEALTHY else ''}")
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
