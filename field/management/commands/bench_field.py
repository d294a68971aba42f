"""Field mode over emulated rural 3G: what "Preparar salida" and a sync cost, and what a case
takes on the device (issue 10's benchmark; docs/field-mode.md).

    python manage.py bench_field [--cases 200] [--new 50] [--actions 50] [--activities 20]
                                 [--port 8765]

It never touches your own database. Each run recreates the scratch SQLite database
var/bench_field.sqlite3 (migrate, load_geography, createcachetable, then this command's hidden
`--setup`: the demo network of services/demo.py, its caseworker and N open cases of her SAR with
a few earlier actions each), serves it with `runserver --noreload localhost:PORT` (debug on, so
that static files are served), and drives Debian's Chromium through Playwright with the network
emulated as rural 3G (Chrome DevTools Protocol: 300 ms latency, 400 kbit/s each way):

1. a plain page of the application, cold (the login page), then the intake form: the baseline;
2. "Preparar salida" with N cases marked: from the click to the unlocked view with the sync
   button and the "prepared" line; bytes received (CDP `Network.loadingFinished`
   encodedDataLength, headers included) and request bodies sent; what the page says it stored;
3. NEW cases, ACTIONS follow-ups and ACTIVITIES community activities queued offline through
   the page's own store (the items the intake, follow-up and activity forms would make), the
   page reloaded and unlocked offline, then the signal back: the time until the pending count
   reads 0, and the server's count of what arrived (exactly NEW cases, ACTIONS actions and
   ACTIVITIES activities, else the command fails). Only the first 20 new cases carry a document
   number: each such case is a document check at the sync, and a caseworker has 30 in any 10
   minutes (`cases.actions.allow_repeat_check`); past them an item waits 10 minutes
   (`retry_after`), which would be measuring the budget, not the link;
4. the bytes each case takes on the device: the encrypted records (`store.rawRecords()`) and
   `navigator.storage.estimate()` before and after.

The server is stopped in every case. The server's log is var/bench_field.server.log.
"""

from __future__ import annotations

import base64
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

SCRATCH = Path(settings.BASE_DIR) / "var" / "bench_field.sqlite3"
SERVER_LOG = Path(settings.BASE_DIR) / "var" / "bench_field.server.log"
SEED = 2023
USERNAME = "caseworker"  # the demo caseworker of services/demo.py, on the scratch database only
PASSWORD = "bench-field-2026"  # noqa: S105 - a login that lives in the scratch database only
PIN = "482916"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Rural 3G: 300 ms latency, 400 kbit/s down and up (CDP wants bytes per second).
RURAL_3G = {
    "offline": False,
    "latency": 300,
    "downloadThroughput": 400_000 / 8,
    "uploadThroughput": 400_000 / 8,
}
NO_SIGNAL = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
PAGE_TIMEOUT_MS = 600_000
# Items queued offline in one run: two sync requests of 100 at most.
MAX_QUEUED = 200

# What a caseworker types on the intake form (the rest of the form's fields go as the form has
# them, empty or preset): the same fields as tests/field/conftest.py's accepted intake.
INTAKE = {
    "condition": "1",
    "entry_route": "1",
    "victim_document_type": "DNI",
    "victim_age": "34",
    "victim_sex": "0",
    "victim_peruvian": "on",
    "aggressor_sex": "1",
    "relationship": "1",
    "partner_relationship": "3",
    "violence_type": "2",
    "violence_acts": ["BOFETADAS", "EMPUJONES"],
    "risk_level": "3",
    "daughters_0_17": "1",
    "sons_0_17": "0",
    "daughters_18_plus": "0",
    "sons_18_plus": "0",
    "complaint_filed": "false",
    "wants_to_file": "true",
    "protective_measures": "unknown",
}
# New cases with a document number (a document check each at the sync): within the budget of 30.
WITH_DOCUMENT = 20
# What a caseworker types on the activity form (the rest as the form has it).
ACTIVITY = {
    "duration_hours": "2.5",
    "topic": "Taller de prevención de la violencia en la familia con la comunidad",
    "partners": "Centro de salud, DEMUNA, Juez de paz",
    "women": "24",
    "men": "11",
    "girls": "6",
    "boys": "4",
}
GIVEN_NAMES = ["Julia", "Felicitas", "Nélida", "Rosalía", "Teodora", "Marcelina", "Justina"]
SURNAMES = ["Mamani", "Condori", "Huamán", "Apaza", "Quispe", "Ccahuana", "Turpo", "Huillca"]
ACTION_NOTES = (
    "Visita domiciliaria en la comunidad: la usuaria refiere que la persona agresora no ha "
    "vuelto a la vivienda; se revisa el plan de seguridad con ella y su hermana."
)

# Queue NEW cases, ACTIONS follow-ups and ACTIVITIES activities as the intake form (intake.js),
# the follow-up form and the activity form (app.js) would: the intake form's own fields (the copy
# of /cases/new/ the trip cached), the follow-up and activity forms rendered on the field page, the
# activity types of the package. Returns the size of each encrypted record.
QUEUE_ITEMS = """async ({pin, intake, names, documents, actions, activities, activity, day,
                        notes}) => {
  const store = window.WarmiField.store;
  const forms = window.WarmiField.forms;
  const unlocked = await store.unlock(pin);
  if (!unlocked.key) { throw new Error('the PIN did not unlock the trip'); }
  const key = unlocked.key;
  const pack = (await store.readAll(key)).find(r => r.kind === 'package');
  const place = pack.services[0];
  // The intake form as the trip cached it (offline, the service worker answers with it).
  const page = await caches.match('/cases/new/', {cacheName: store.CACHE, ignoreVary: true});
  if (!page) { throw new Error('the trip did not cache /cases/new/'); }
  const html = await page.text();
  const form = new DOMParser().parseFromString(html, 'text/html').querySelector('#case-form');
  if (!form) { throw new Error('no intake form at /cases/new/'); }
  forms.fill(form, intake);
  const values = forms.values(form);
  const service = values.service || place.code;
  delete values.service;
  Object.assign(values, intake,
    {region: place.region, province: place.province, district: place.district});
  const action = document.createElement('form');
  action.append(document.getElementById('tpl-action-form').content.cloneNode(true));
  forms.fill(action, {kind: 'home_visit', date: day, notes: notes});
  const actionValues = forms.values(action);
  const sizes = {case: [], action: [], activity: []};
  for (let i = 0; i < names.length; i++) {
    const number = await store.nextProvisional();
    const data = Object.assign({}, values, {intake_date: day, victim_name: names[i],
      victim_document_number: documents[i]});
    if (!documents[i]) { data.victim_document_type = ''; }
    const item = {type: 'case', service: service, provisional: 'P-' + number, data: data,
      captured_at: new Date().toISOString()};
    sizes.case.push(await store.put(key,
      {id: crypto.randomUUID(), kind: 'item', status: 'pending'}, item));
  }
  for (let i = 0; i < actions; i++) {
    const taken = pack.cases[i % pack.cases.length];
    const item = {type: 'action', case: taken.code, data: Object.assign({}, actionValues),
      captured_at: new Date().toISOString()};
    sizes.action.push(await store.put(key,
      {id: crypto.randomUUID(), kind: 'item', status: 'pending'}, item));
  }
  const activityForm = document.createElement('form');
  activityForm.append(document.getElementById('tpl-activity-form').content.cloneNode(true));
  const activityValues = forms.values(activityForm);
  delete activityValues.service;
  const types = pack.activity_types || [];
  if (activities && !types.length) { throw new Error('the package has no activity types'); }
  for (let i = 0; i < activities; i++) {
    const data = Object.assign({}, activityValues, activity, {date: day,
      type: types[i % types.length].code, province: place.province, district: place.district});
    const item = {type: 'activity', service: place.code, data: data,
      captured_at: new Date().toISOString()};
    sizes.activity.push(await store.put(key,
      {id: crypto.randomUUID(), kind: 'item', status: 'pending'}, item));
  }
  return {sizes: sizes, fields: Object.keys(values).length, action: actionValues};
}"""

RECORD_SIZES = """async () => (await window.WarmiField.store.rawRecords()).map(r => (
  {id: r.id, kind: r.kind, status: r.status, bytes: r.iv.byteLength + r.data.byteLength}))"""
STORAGE_USAGE = "async () => (await navigator.storage.estimate()).usage"
PREPARED_SHOWN = """() => {
  const line = document.querySelector("#field-view [data-role='prepared']");
  return Boolean(document.querySelector("[data-testid='field-sync']") && line &&
    line.textContent.trim());
}"""


class Network:
    """Rural 3G through the DevTools protocol, and what crosses it.

    A service worker's own fetches are not the page's: neither throttled nor reported by the
    page's session. So the page's session auto-attaches to the workers that serve it (Chromium
    attaches the service workers whose scope covers the page), and each gets the same conditions
    and is counted the same way. Requests the worker answers appear on the page with 0 bytes
    (`fromServiceWorker`); what the worker fetched for them is counted once, on the worker.
    """

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.conditions = RURAL_3G
        self.workers: dict[str, str] = {}  # CDP session id -> worker URL
        self._message_id = 0
        self.reset()
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.responseReceived", self._answered)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Target.attachedToTarget", self._attached)
        self.cdp.on("Target.detachedFromTarget", self._detached)
        self.cdp.on("Target.receivedMessageFromTarget", self._from_worker)
        self.cdp.send("Network.enable")
        self.cdp.send(
            "Target.setAutoAttach",
            {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": False},
        )

    def reset(self) -> None:
        self.received = 0
        self.sent = 0
        self.requests = 0
        self.urls: list[str] = []
        self._from_worker_ids: set[str] = set()
        self._bodies_to_read: list[tuple[str | None, str]] = []

    # The page and its workers ---------------------------------------------------------------
    def _to_worker(self, session_id: str, method: str, params: dict) -> None:
        self._message_id += 1
        message = json.dumps({"id": self._message_id, "method": method, "params": params})
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": session_id, "message": message})

    def _attached(self, event) -> None:
        info = event["targetInfo"]
        session_id = event["sessionId"]
        if info["type"] != "service_worker":
            return
        self.workers[session_id] = info["url"]
        self._to_worker(session_id, "Network.enable", {})
        self._to_worker(session_id, "Network.emulateNetworkConditions", self.conditions)

    def _detached(self, event) -> None:
        self.workers.pop(event.get("sessionId", ""), None)

    def _from_worker(self, event) -> None:
        message = json.loads(event["message"])
        method = message.get("method")
        if method == "Network.requestWillBeSent":
            self._sent(message["params"], event["sessionId"])
        elif method == "Network.loadingFinished":
            self._finished(message["params"], event["sessionId"])

    # Counting ----------------------------------------------------------------------------------
    def _sent(self, event, session_id: str | None = None) -> None:
        request = event["request"]
        if not request["url"].startswith("http"):
            return  # data: URLs cross no network
        self.urls.append(request["url"])
        entries = request.get("postDataEntries")
        if entries:
            self.sent += sum(len(base64.b64decode(e.get("bytes", ""))) for e in entries)
        elif "postData" in request:
            self.sent += len(request["postData"].encode())
        elif request.get("hasPostData") and session_id is None:
            self._bodies_to_read.append((session_id, event["requestId"]))

    def _answered(self, event) -> None:
        if event["response"].get("fromServiceWorker"):
            self._from_worker_ids.add(event["requestId"])

    def _finished(self, event, session_id: str | None = None) -> None:
        if session_id is None and event["requestId"] in self._from_worker_ids:
            return  # answered by the worker: what it fetched is counted on the worker
        size = int(event["encodedDataLength"])
        self.received += size
        self.requests += size > 0  # 0: data: URLs, the memory or disk cache

    def totals(self) -> tuple[int, int, int]:
        """Bytes received, request bytes sent, requests; reading any body CDP left out."""
        for _session, request_id in self._bodies_to_read:
            try:
                body = self.cdp.send("Network.getRequestPostData", {"requestId": request_id})
                self.sent += len(body["postData"].encode())
            except Exception:  # noqa: BLE001, S110 - gone with its page: not counted
                pass
        self._bodies_to_read = []
        return self.received, self.sent, self.requests

    # Conditions --------------------------------------------------------------------------------
    def _emulate(self, conditions: dict) -> None:
        self.conditions = conditions
        self.cdp.send("Network.emulateNetworkConditions", conditions)
        for session_id in list(self.workers):
            self._to_worker(session_id, "Network.emulateNetworkConditions", conditions)

    def rural_3g(self) -> None:
        self._emulate(RURAL_3G)

    def no_signal(self) -> None:
        self._emulate(NO_SIGNAL)


def kb(n: float) -> str:
    return f"{n / 1024:,.1f} kB"


class Command(BaseCommand):
    help = (
        "Print what field mode costs over emulated rural 3G: the bytes and seconds of "
        "'Preparar salida', the time to sync new cases and follow-ups, the bytes per case on "
        "the device (on a scratch database, never yours)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=200, help="Open cases taken along.")
        parser.add_argument("--new", type=int, default=50, help="New cases queued offline.")
        parser.add_argument(
            "--actions", type=int, default=50, help="Follow-up actions queued offline."
        )
        parser.add_argument(
            "--activities", type=int, default=20, help="Community activities queued offline."
        )
        parser.add_argument("--port", type=int, default=8765, help="Port of the scratch server.")
        # Steps run in a subprocess on the scratch database only.
        parser.add_argument("--setup", action="store_true", help=argparse_hidden())
        parser.add_argument("--count", action="store_true", help=argparse_hidden())

    def handle(self, *args, cases, new, actions, activities, port, setup, count, **options):
        if setup or count:
            scratch_only()
            result = seed_scratch(cases) if setup else arrived()
            self.stdout.write(json.dumps(result))
            return
        if not 1 <= cases <= 200:
            raise CommandError("--cases must be 1 to 200 (a trip takes at most 200).")
        if min(new, actions, activities) < 0 or new + actions + activities > MAX_QUEUED:
            raise CommandError(
                f"--new, --actions and --activities: 0 or more, at most {MAX_QUEUED} in all."
            )
        Bench(self, cases=cases, new=new, actions=actions, activities=activities, port=port).run()


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


def scratch_only() -> None:
    name = str(settings.DATABASES["default"]["NAME"])
    if Path(name).resolve() != SCRATCH.resolve():
        raise CommandError(f"--setup and --count run on {SCRATCH} only, not on {name}.")


def seed_scratch(count: int) -> dict:
    """The demo network, its caseworker, `count` open cases of her SAR with earlier actions."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from cases.demo import seed_cases
    from cases.models import Case, CaseAction
    from services.demo import seed_network, seed_users
    from services.models import CareService

    services = seed_network(seed=SEED)
    home = next(s for s in services if s.kind == CareService.Kind.SAR and not s.closed_on)
    seed_users(password=PASSWORD, home_sar=home)
    seed_cases(count=count, seed=SEED, services=[home])
    taken = Case.objects.filter(service=home)
    taken.filter(status=Case.Status.CLOSED).update(
        status=Case.Status.OPEN, closed_on=None, closure_reason=""
    )
    user = get_user_model().objects.get(username=USERNAME)
    rng = random.Random(SEED)  # noqa: S311 - synthetic data
    today = timezone.localdate()
    earlier = [
        CaseAction(
            case=case,
            kind=rng.choice(CaseAction.Kind.values),
            date=min(case.intake_date + timedelta(days=rng.randint(0, 60)), today),
            staff=user,
            notes=ACTION_NOTES,
        )
        for case in taken.only("pk", "intake_date")
        for _ in range(rng.randint(0, 3))
    ]
    CaseAction.objects.bulk_create(earlier)
    return {
        "service": home.code,
        "open_cases": taken.exclude(status=Case.Status.CLOSED).count(),
        "earlier_actions": len(earlier),
    }


def arrived() -> dict:
    """What field syncs stored (their audit entries say `via: field`)."""
    from activities.models import AuditEntry as ActivityEntry
    from cases.models import AuditEntry

    via_field = AuditEntry.objects.filter(changes__via="field")
    return {
        "cases": via_field.filter(action=AuditEntry.Action.CREATE).count(),
        "actions": via_field.filter(action=AuditEntry.Action.ADD_ACTION).count(),
        "activities": ActivityEntry.objects.filter(
            changes__via="field", action=ActivityEntry.Action.CREATE
        ).count(),
    }


class Bench:
    def __init__(
        self, command: Command, *, cases: int, new: int, actions: int, activities: int, port: int
    ):
        self.out = command.stdout
        self.style = command.style
        self.cases = cases
        self.new = new
        self.actions = actions
        self.activities = activities
        self.port = port
        self.base = f"http://localhost:{port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{SCRATCH}",
            "DJANGO_DEBUG": "1",
        }
        self.rows: list[tuple[str, str, str]] = []

    # --- the scratch database and server ------------------------------------------------------
    def manage(self, *arguments: str) -> str:
        done = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
            [sys.executable, "manage.py", *arguments],
            cwd=settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise CommandError(f"manage.py {' '.join(arguments)} failed:\n{done.stderr}")
        return done.stdout

    def prepare_database(self) -> dict:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SCRATCH}{suffix}").unlink(missing_ok=True)
        self.manage("migrate", "--noinput", "-v0")
        self.manage("load_geography", "-v0")
        self.manage("createcachetable")
        lines = self.manage("bench_field", "--setup", "--cases", str(self.cases)).splitlines()
        return json.loads(lines[-1])

    def port_is_free(self) -> bool:
        try:
            with socket.create_connection(("localhost", self.port), timeout=1):
                return False  # something answers there already
        except OSError:
            return True

    def start_server(self, log) -> subprocess.Popen:
        server = subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
            [sys.executable, "manage.py", "runserver", "--noreload", f"localhost:{self.port}"],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"runserver stopped: see {SERVER_LOG}")
            try:
                with urllib.request.urlopen(f"{self.base}/accounts/login/", timeout=2):  # noqa: S310
                    return server
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise CommandError(f"runserver did not answer within 60 s: see {SERVER_LOG}")

    def run(self) -> None:
        if not Path(CHROMIUM).exists():
            raise CommandError("Debian's chromium is needed (apt-get install chromium).")
        try:
            from playwright.sync_api import sync_playwright  # noqa: F401
        except ImportError as error:
            raise CommandError("Playwright is needed: make install (the test extras).") from error
        if not self.port_is_free():
            raise CommandError(f"Port {self.port} is taken: choose another with --port.")
        self.out.write(f"Scratch database {SCRATCH.relative_to(settings.BASE_DIR)}: setting up…")
        started = time.perf_counter()
        seeded = self.prepare_database()
        self.out.write(
            f"  {seeded['open_cases']} open cases of {seeded['service']} "
            f"({seeded['earlier_actions']} earlier actions), "
            f"in {time.perf_counter() - started:.0f} s"
        )
        with SERVER_LOG.open("w") as log:
            server = None
            try:
                server = self.start_server(log)
                self.drive_browser()
            finally:
                if server is not None:
                    server.terminate()
                    try:
                        server.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        server.kill()
                        server.wait()
        self.report()

    # --- the browser -----------------------------------------------------------------------------
    def drive_browser(self) -> None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(
                    viewport={"width": 360, "height": 740}, locale="es-PE"
                )
                context.set_default_timeout(PAGE_TIMEOUT_MS)
                page = context.new_page()
                network = Network(page)
                network.rural_3g()
                self.baseline(page, network)
                self.prepare_trip(page, network)
                self.queue_and_sync(page, network)
            finally:
                browser.close()

    def measure_load(self, page, network, label: str, path: str) -> None:
        network.reset()
        started = time.perf_counter()
        page.goto(f"{self.base}{path}", wait_until="load")
        seconds = time.perf_counter() - started
        received, sent, requests = network.totals()
        self.rows.append((label, f"{seconds:.1f} s", f"{kb(received)} down, {requests} requests"))

    def baseline(self, page, network) -> None:
        self.measure_load(page, network, "Baseline: login page, cold cache", "/accounts/login/")
        page.fill("input[name='username']", USERNAME)
        page.fill("input[name='password']", PASSWORD)
        with page.expect_navigation():
            page.click("form button[type='submit']")
        if "/accounts/login/" in page.url:
            raise CommandError("The scratch caseworker could not log in.")
        self.measure_load(page, network, "Baseline: intake form /cases/new/", "/cases/new/")

    def prepare_trip(self, page, network) -> None:
        page.goto(f"{self.base}/field/")
        page.wait_for_selector("#field-app[data-ready='1']")
        boxes = page.locator("[data-role='choices'] input[type=checkbox]")
        page.wait_for_function(
            "n => document.querySelectorAll(\"[data-role='choices'] input\").length >= n",
            arg=self.cases,
        )
        offered = boxes.count()
        page.evaluate(
            """n => {
              const boxes = document.querySelectorAll("[data-role='choices'] input");
              for (let i = 0; i < n; i++) { boxes[i].checked = true; }
              boxes[0].dispatchEvent(new Event('change', {bubbles: true}));
            }""",
            self.cases,
        )
        page.get_by_test_id("field-pin").fill(PIN)
        page.get_by_test_id("field-pin-confirm").fill(PIN)
        self.usage_before = page.evaluate(STORAGE_USAGE)

        network.reset()
        started = time.perf_counter()
        page.get_by_test_id("field-prepare").click()
        page.wait_for_function(PREPARED_SHOWN, polling=50)
        seconds = time.perf_counter() - started
        received, sent, requests = network.totals()
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")

        meta = page.evaluate(
            "window.WarmiField.store.getMeta().then(m => ({cases: m.cases, bytes: m.bytes}))"
        )
        shown = page.locator("#field-view [data-role='prepared']").inner_text().strip()
        records = page.evaluate(RECORD_SIZES)
        package = next(r["bytes"] for r in records if r["kind"] == "package")
        self.usage_prepared = page.evaluate(STORAGE_USAGE)
        self.rows += [
            (
                f'"Preparar salida", {meta["cases"]} cases marked (of {offered} offered)',
                f"{seconds:.1f} s",
                f"{kb(received)} down, {kb(sent)} up (bodies), {requests} requests",
            ),
            ("  the page says", "", f"{meta['bytes']:,} B stored: «{shown}»"),
            (
                "  encrypted package (IndexedDB record)",
                "",
                f"{kb(package)}, i.e. {package / meta['cases']:,.0f} B per taken case",
            ),
            (
                "  navigator.storage.estimate() after prepare",
                "",
                f"+{kb(self.usage_prepared - self.usage_before)} (pages, static files, package)",
            ),
        ]

    def queue_and_sync(self, page, network) -> None:
        rng = random.Random(SEED)  # noqa: S311 - synthetic names
        names = [
            f"{rng.choice(GIVEN_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
            for _ in range(self.new)
        ]
        documents = [
            f"6{index:07d}" if index <= WITH_DOCUMENT else "" for index in range(1, self.new + 1)
        ]
        day = page.evaluate(
            "(() => { const n = new Date(); return new Date(n.getTime() - "
            "n.getTimezoneOffset() * 60000).toISOString().slice(0, 10); })()"
        )
        network.no_signal()
        queued = page.evaluate(
            QUEUE_ITEMS,
            {
                "pin": PIN,
                "intake": INTAKE,
                "names": names,
                "documents": documents,
                "activities": self.activities,
                "activity": ACTIVITY,
                "actions": self.actions,
                "day": day,
                "notes": ACTION_NOTES,
            },
        )
        usage_queued = page.evaluate(STORAGE_USAGE)
        sizes = queued["sizes"]

        # The next morning, still without signal: the page reopens, she unlocks it.
        page.reload()
        page.wait_for_selector("#field-app[data-ready='1']")
        page.get_by_test_id("field-pin").fill(PIN)
        page.get_by_test_id("field-pin-submit").click()
        page.get_by_test_id("field-sync").wait_for()
        pending = page.get_by_test_id("field-pending-count")
        total = self.new + self.actions + self.activities
        page.wait_for_function(
            "n => document.querySelector(\"[data-testid='field-pending-count']\")"
            ".textContent.trim() === String(n)",
            arg=total,
        )

        # The signal returns (the page syncs on `online`; the button too).
        network.reset()
        started = time.perf_counter()
        network.rural_3g()
        page.evaluate(
            "() => { const b = document.querySelector(\"[data-testid='field-sync']\");"
            " if (!b.disabled) { b.click(); } }"
        )
        page.wait_for_function(
            "() => document.querySelector(\"[data-testid='field-pending-count']\")"
            ".textContent.trim() === '0'",
            polling=50,
            timeout=PAGE_TIMEOUT_MS,
        )
        seconds = time.perf_counter() - started
        received, sent, requests = network.totals()
        syncs = sum(1 for url in network.urls if url.endswith("/api/v1/sync/"))
        on_server = json.loads(self.manage("bench_field", "--count").splitlines()[-1])
        self.check = (on_server, pending.inner_text().strip())
        self.rows += [
            (
                f"Sync of {self.new} new cases ({min(self.new, WITH_DOCUMENT)} with a document) "
                f"+ {self.actions} follow-ups + {self.activities} activities",
                f"{seconds:.1f} s",
                f"{kb(received)} down, {kb(sent)} up (bodies), {requests} requests "
                f"({syncs} POST /api/v1/sync/)",
            ),
            (
                "  arrived on the server (audit via=field)",
                "",
                f"{on_server['cases']} cases, {on_server['actions']} actions, "
                f"{on_server['activities']} activities",
            ),
        ]
        if sizes["case"]:
            self.rows.append(
                (
                    "  a queued new case (encrypted record)",
                    "",
                    f"{sum(sizes['case']) / len(sizes['case']):,.0f} B "
                    f"({queued['fields']} form fields)",
                )
            )
        if sizes["action"]:
            self.rows.append(
                (
                    "  a queued follow-up (encrypted record)",
                    "",
                    f"{sum(sizes['action']) / len(sizes['action']):,.0f} B",
                )
            )
        if sizes["activity"]:
            self.rows.append(
                (
                    "  a queued activity (encrypted record)",
                    "",
                    f"{sum(sizes['activity']) / len(sizes['activity']):,.0f} B",
                )
            )
        self.rows.append(
            (
                f"  navigator.storage.estimate() for the {total} queued items",
                "",
                f"+{kb(usage_queued - self.usage_prepared)}"
                + (
                    f", {(usage_queued - self.usage_prepared) / total:,.0f} B per item"
                    if total
                    else ""
                ),
            )
        )
        expected = {"cases": self.new, "actions": self.actions, "activities": self.activities}
        if on_server != expected:
            self.report()
            raise CommandError(f"Expected {expected} on the server, found {on_server}.")

    def report(self) -> None:
        if getattr(self, "_reported", False):
            return
        self._reported = True
        self.out.write(
            "\nField mode over emulated rural 3G (300 ms latency, 400 kbit/s each way), "
            f"Chromium, {self.base} (runserver, DEBUG on)"
        )
        width = max(len(row[0]) for row in self.rows)
        for label, seconds, detail in self.rows:
            self.out.write(f"{label:<{width}}  {seconds:>7}  {detail}")
