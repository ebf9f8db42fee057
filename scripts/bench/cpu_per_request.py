"""CPU time per request in one process (time.process_time), straight through the WSGI app: the bare endpoint, the
survey page GET (as wrk asks for it, and gzip-compressed as a phone asks for it) and a stored submit, called as
gunicorn's worker calls them, with the environment of the server
bench_submit measured. Steadier than a throughput run on a shared machine (other processes' load costs wall time,
not this process's CPU). Prints one JSON line. Run by bench_submit: python cpu_per_request.py PATH ROUNDS
"""
from __future__ import annotations

import io
import itertools
import json
import os
import re
import sys
import time
import urllib.parse
from pathlib import Path

from werkzeug.test import EnvironBuilder

HEADERS = {"Sec-Fetch-Site": "same-origin", "User-Agent": "Mozilla/5.0 (Linux; Android 10) bench"}


def environ(path: str, method: str = "GET") -> dict:
    env = EnvironBuilder(path=path, method=method, base_url="http://127.0.0.1", headers=HEADERS).get_environ()
    env["REMOTE_ADDR"] = "127.0.0.1"
    return env


def call(app, env: dict, body: bytes | None = None) -> tuple[str, bytes]:
    env = dict(env)
    if body is not None:
        env.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
                    "CONTENT_TYPE": "application/x-www-form-urlencoded"})
    status = []
    chunks = app(env, lambda s, h, exc=None: status.append(s))
    data = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return status[0], data


def per_request(run, rounds: int) -> float:
    """Milliseconds of this process's CPU per call, over `rounds` calls after a warm-up."""
    for i in range(min(200, rounds)):
        run(i)
    started = time.process_time()
    for i in range(rounds):
        run(i)
    return round((time.process_time() - started) * 1000 / rounds, 4)


def main() -> None:
    path, rounds = sys.argv[1], int(sys.argv[2])
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here), str(here.parent.parent)]  # bare_app, and the checkout's own feedback_app
    from bare_app import app as bare

    from feedback_app import create_app

    app = create_app()
    figures = {"cpu_ms_bare": per_request(lambda i: call(bare.wsgi_app, environ("/")), rounds)}
    page = environ(path)
    status, html = call(app.wsgi_app, page)
    assert status.startswith("200"), status
    figures["cpu_ms_page"] = per_request(lambda i: call(app.wsgi_app, page), rounds)
    phone = {**page, "HTTP_ACCEPT_ENCODING": "gzip, deflate"}  # what a phone's browser asks for (wrk does not)
    figures["cpu_ms_page_gzip"] = per_request(lambda i: call(app.wsgi_app, phone), rounds)
    hidden = dict(re.findall(rb'<input type="hidden" name="(\w+)" value="([^"]*)">', html))
    questions = sorted(set(re.findall(rb'name="(q\d+)" value="1"', html)))
    staff = re.findall(rb'name="staff" value="(\d+)"', html)
    base = ("rt=" + urllib.parse.quote(hidden[b"rt"].decode(), safe="") + "&lang=id&staff="
            + (staff[0].decode() if staff else "unknown") + "".join(f"&{q.decode()}=4" for q in questions))
    tag, keys = os.urandom(4).hex(), itertools.count()
    post = environ(path, "POST")

    def submit(_i: int) -> None:  # every submit a new idempotency key, so every one is stored
        status, _ = call(app.wsgi_app, post, (base + f"&idem=cpu{tag}T{next(keys):012d}").encode())
        assert status.startswith("303"), status

    figures["cpu_ms_submit"] = per_request(submit, rounds)
    figures["cpu_page_over_bare"] = round(figures["cpu_ms_page"] / figures["cpu_ms_bare"], 2)
    figures["cpu_submit_over_bare"] = round(figures["cpu_ms_submit"] / figures["cpu_ms_bare"], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
