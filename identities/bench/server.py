"""gunicorn serving the application to the bench, and the HTTP requests the bench times.

The server runs as it would in production (DEBUG off, persistent database connections, sync
workers) on the bench's database, with identity files and the embedded merge store in the bench's
temporary directory. Every request opens its own connection, as gunicorn's sync workers close
each one after the response.
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

WORKERS = 2
START_SECONDS = 60
REQUEST_TIMEOUT = 900  # a 100k-face undo before the undo rework took up to 95 s


class BenchError(RuntimeError):
    """The bench cannot go on (the server did not start, an endpoint answered unexpectedly)."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body)


def database_url(settings_dict):
    """A DATABASE_URL naming the database this process uses (the test database under pytest)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = quote(settings_dict.get("HOST") or "", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, port, api_key):
        self.port = port
        self.api_key = api_key

    def request(self, method, path, body=None):
        headers = {"X-API-Key": self.api_key}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            client.request(method, path, body=payload, headers=headers)
            response = client.getresponse()
            data = response.read()
        finally:
            client.close()
        return Response(status=response.status, body=data, seconds=time.perf_counter() - started)

    def expect(self, method, path, status=200, body=None):
        response = self.request(method, path, body=body)
        if response.status != status:
            raise BenchError(f"{method} {path} answered {response.status}, not {status}: {response.body[:300]!r}")
        return response


def _log_tail(log_path):
    lines = Path(log_path).read_text(errors="replace").splitlines()
    return "\n".join(lines[-20:])


@contextmanager
def gunicorn(*, database, directory, api_key, probe_path):
    """gunicorn with WORKERS workers on a free local port, stopped (its pid only) on leaving."""
    port = _free_port()
    directory = Path(directory)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "momentry.settings"),
        "DATABASE_URL": database_url(database),
        "MOMENTRY_DEBUG": "false",
        "MOMENTRY_OUTPUT_DIR": str(settings.MOMENTRY_OUTPUT_DIR),
        "MOMENTRY_EMBEDDED_MONGO_DIR": str(settings.MOMENTRY_EMBEDDED_MONGO_DIR),
        "MOMENTRY_MONGO_URL": "",
        "MOMENTRY_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"]
    command += ["--timeout", str(REQUEST_TIMEOUT), "--log-level", "warning", "--chdir", str(settings.BASE_DIR)]
    command.append("momentry.wsgi:application")
    log_path = directory / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(port, api_key)
    try:
        _wait_until_serving(server, process, probe_path, log_path)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(server, process, probe_path, log_path):
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited with status {process.returncode}:\n{_log_tail(log_path)}")
        try:
            server.request("GET", probe_path)
            return
        except OSError:
            time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer within {START_SECONDS} s:\n{_log_tail(log_path)}")
