"""The load drill's mixed workload (run by scripts/load_drill through locust, never by hand on a live service).

Citizens open a counter's survey and submit it (a few tap twice: the same idempotency key again); unit heads open
their dashboard and comments; HR pulls the responses export and the API summary. Requests go to the instances in
DRILL_HOSTS in turn (full URLs), so two gunicorn instances share the load. Every acknowledged submission (303 to
the thank-you page) is appended to DRILL_ACKS as its idempotency key, for the exactly-once check afterwards.
"""
from __future__ import annotations

import itertools
import os
import random
import re

from locust import HttpUser, between, task

HOSTS = os.environ["DRILL_HOSTS"].split(",")
COUNTERS = os.environ["DRILL_COUNTERS"].split(",")
API_TOKEN = os.environ["DRILL_API_TOKEN"]
PERIOD = os.environ["DRILL_PERIOD"]
MONTH = os.environ["DRILL_MONTH"]
PASSWORD = os.environ.get("DRILL_PASSWORD", "demo-batanghari")
ACKS = open(os.environ["DRILL_ACKS"], "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - whole run
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
QUESTION = re.compile(r'name="(q\d+)" value="1"')
_turn = itertools.count()


def host() -> str:
    return HOSTS[next(_turn) % len(HOSTS)]


class Citizen(HttpUser):
    """Opens a counter's survey and submits it; 5 % send the same form twice (a double tap)."""

    weight = 12
    wait_time = between(0.5, 2)
    host = HOSTS[0]

    @task
    def answer(self):
        code = random.choice(COUNTERS)
        page = self.client.get(f"{host()}/s/{code}", name="/s/<code>")
        if page.status_code != 200:
            return
        html = page.text
        form = dict(HIDDEN.findall(html))
        for question in set(QUESTION.findall(html)):
            form[question] = str(random.choice((2, 3, 3, 4, 4)))
        form["staff"] = "unknown"
        taps = 2 if random.random() < 0.05 else 1
        for _ in range(taps):
            with self.client.post(f"{host()}/s/{code}", data=form, name="/s/<code>", allow_redirects=False,
                                  catch_response=True) as answer:
                if answer.status_code == 303 and "/thanks" in answer.headers.get("Location", ""):
                    ACKS.write(form["idem"] + "\n")
                    answer.success()
                else:
                    answer.failure(f"not acknowledged: {answer.status_code}")


class StaffUser(HttpUser):
    abstract = True
    host = HOSTS[0]
    username = ""

    def on_start(self):
        page = self.client.get(f"{HOSTS[0]}/staff/login", name="/staff/login")
        token = dict(HIDDEN.findall(page.text)).get("csrf_token", "")
        self.client.post(f"{HOSTS[0]}/staff/login", name="/staff/login", allow_redirects=False,
                         data={"csrf_token": token, "username": self.username, "password": PASSWORD})


class UnitHead(StaffUser):
    """Opens the unit dashboard and its comments."""

    weight = 3
    wait_time = between(2, 5)
    username = "kadis.dukcapil"

    @task(3)
    def dashboard(self):
        self.client.get(f"{host()}/dashboard/unit/DISDUKCAPIL?period={PERIOD}", name="/dashboard/unit/<code>")

    @task(1)
    def comments(self):
        self.client.get(f"{host()}/dashboard/unit/DISDUKCAPIL/comments?period={PERIOD}",
                        name="/dashboard/unit/<code>/comments")


class HumanResources(StaffUser):
    """Pulls a unit's responses of the month as XLSX now and then."""

    weight = 1
    wait_time = between(5, 10)
    username = "bkpsdm"

    @task
    def export(self):
        self.client.get(f"{host()}/dashboard/unit/DISDUKCAPIL/responses.xlsx?period={MONTH}",
                        name="/dashboard/unit/<code>/responses.xlsx")


class ApiClient(HttpUser):
    """A system reading the API summary with a bearer token."""

    weight = 2
    wait_time = between(1, 3)
    host = HOSTS[0]

    @task
    def summary(self):
        self.client.get(f"{host()}/api/v1/units/DISDUKCAPIL/summary?period={PERIOD}", name="/api/v1/.../summary",
                        headers={"Authorization": f"Bearer {API_TOKEN}"})
