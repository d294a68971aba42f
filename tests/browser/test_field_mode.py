"""Field mode on the device, in a real Chromium: a trip prepared online, a day without signal,
and a server that ends up holding exactly what she entered (docs/field-mode.md).

The pages are opened at `localhost`, a secure context (service workers and Web Crypto need one),
not at the live server's 127.0.0.1. The tests find things by `data-testid` and by the labels of
the forms, not by the words of the field page, which may change.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db.models import F
from playwright.sync_api import expect

from cases.models import Case, CaseAction
from tests.browser.steps import log_in, open_intake_sections, open_menu
from tests.factories import AssignmentFactory, CaseFactory, CommunityFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PIN = "482916"
TAKEN_NAME = "Rosalía Ccahuana Quispe"
TAKEN_DOCUMENT = "40718293"
NEW_CASES = [
    ("Julia Mamani Condori", "45127788"),
    ("Felicitas Huamán Roca", "46239911"),
    ("Nélida Apaza Turpo", "47351122"),
]

# Every record the device holds, as text (binary parts decoded as UTF-8 and as Latin-1), and the
# names of the caches: what anyone with the device could read without the PIN.
READ_DEVICE = """async () => {
  const names = (await indexedDB.databases()).map(d => d.name);
  const caches_ = await caches.keys();
  if (!names.includes('warmi-field')) {
    return {exists: false, records: [], text: '', caches: caches_};
  }
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open('warmi-field'); r.onsuccess = () => ok(r.result); r.onerror = ko;
  });
  const all = (store) => new Promise((ok, ko) => {
    if (!db.objectStoreNames.contains(store)) { ok([]); return; }
    const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result);
    r.onerror = ko;
  });
  const records = await all('records');
  const meta = await all('meta');
  db.close();
  const show = (k, v) => {
    if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
      const bytes = new Uint8Array(v);
      return new TextDecoder('utf-8').decode(bytes) + new TextDecoder('latin1').decode(bytes);
    }
    return v;
  };
  const texts = [];
  for (const cache of caches_) {
    const c = await caches.open(cache);
    for (const request of await c.keys()) {
      texts.push(request.url + '\\n' + await (await c.match(request)).text());
    }
  }
  return {
    exists: true,
    records: records.map(r => ({id: r.id, kind: r.kind, status: r.status})),
    text: JSON.stringify(records, show) + JSON.stringify(meta, show) + texts.join('\\n'),
    caches: caches_,
  };
}"""


def base_url(live_server) -> str:
    return live_server.url.replace("127.0.0.1", "localhost")


def open_field(page, base: str) -> None:
    page.goto(f"{base}/field/")
    page.wait_for_selector("#field-app[data-ready='1']")


def pending_count(page):
    return page.get_by_test_id("field-pending-count")


def prepare_trip(page, base: str, codes: list[str], pin: str = PIN) -> None:
    open_field(page, base)
    for code in codes:
        page.get_by_label(re.compile(re.escape(code))).check()
    page.get_by_test_id("field-pin").fill(pin)
    page.get_by_test_id("field-pin-confirm").fill(pin)
    page.get_by_test_id("field-prepare").click()
    expect(page.get_by_test_id("field-sync")).to_be_visible(timeout=30_000)
    # The service worker controls the site before the signal goes.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")


def unlock(page, pin: str = PIN) -> None:
    page.get_by_test_id("field-pin").fill(pin)
    page.get_by_test_id("field-pin-submit").click()
    expect(page.get_by_test_id("field-sync")).to_be_visible()


def case_card(page, code: str):
    return page.locator(f"article[data-case='{code}']")


def add_follow_up(page, code: str, notes: str) -> None:
    card = case_card(page, code)
    card.locator("details summary").first.click()
    form = card.locator("form[data-role='action-form']")
    form.get_by_label("Tipo de acción").select_option(label="Visita domiciliaria")
    form.get_by_label("Notas").fill(notes)
    form.locator("button[type=submit]").click()


def change_risk(page, code: str, label: str) -> None:
    card = case_card(page, code)
    card.locator("details summary").nth(1).click()
    form = card.locator("form[data-role='edit-form']")
    form.locator("select[name='risk_level']").select_option(label=label)
    form.locator("button[type=submit]").click()


def fill_intake(page, name: str, document: str, *, sex: str = "Mujer", pregnant: str = "No"):
    """The intake form, as a caseworker fills it (region, province, district come preset)."""
    open_intake_sections(page)
    page.get_by_label("Condición del caso").select_option(label="Nuevo")
    page.get_by_label("Forma de ingreso").select_option(
        label="Persona acude directamente al servicio"
    )
    page.get_by_label("Nombres y apellidos").fill(name)
    page.locator("#id_victim_document_type").select_option(value="DNI")
    page.locator("#id_victim_document_number").fill(document)
    page.locator("#id_victim_age").fill("29")
    page.locator("#id_victim_sex").select_option(label=sex)
    page.locator("#id_victim_pregnant").select_option(label=pregnant)
    page.get_by_label("Sexo de la persona agresora").select_option(label="Hombre")
    page.get_by_label("Vínculo con la persona usuaria").select_option(
        label="Con vínculo relacional de pareja"
    )
    page.get_by_label("Vínculo de pareja").select_option(label="Conviviente")
    page.locator("#id_violence_type").select_option(label="Violencia Física")
    page.get_by_label("Bofetadas").check()
    page.locator("#id_risk_level").select_option(label="Riesgo Moderado")


def register_offline(page, name: str, document: str, *, ask_pin: bool, **fields) -> None:
    fill_intake(page, name, document, **fields)
    page.locator("#case-form button[type=submit]").click()
    if ask_pin:
        page.get_by_test_id("field-pin").fill(PIN)
        page.get_by_test_id("field-pin-submit").click()
    expect(page.locator("#field-intake-notice")).to_contain_text("P-")
    expect(page.get_by_label("Nombres y apellidos")).to_have_value("")


def raw_profile_bytes(profile: Path) -> bytes:
    """Every byte Chromium wrote for IndexedDB and Cache Storage in this profile."""
    folders = [profile / "Default" / "IndexedDB", profile / "Default" / "Service Worker"]
    chunks = []
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.exists() else []:
            if path.is_file():
                chunks.append(path.read_bytes())
    return b"".join(chunks)


def encodings(text: str) -> list[bytes]:
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("latin-1")]


def assert_nothing_readable(page, profile: Path, secrets: list[str], known_id: str) -> None:
    device = page.evaluate(READ_DEVICE)
    for secret in secrets:
        assert secret not in device["text"]
    raw = raw_profile_bytes(profile)
    # The search sees what is stored in the clear (an item's id): the data is on disk, readable.
    assert known_id.encode() in raw
    for secret in secrets:
        for encoded in encodings(secret):
            assert encoded not in raw, secret


class KilledSync:
    """Let the first `times` syncs reach the server, then cut their answers (the tab dies)."""

    def __init__(self, page, times: int):
        self.times = times
        self.killed = 0
        self.passed = 0
        page.route("**/api/v1/sync/", self.handle)

    def handle(self, route):
        if self.killed < self.times:
            route.fetch()  # the server stores the items...
            self.killed += 1
            route.abort("connectionreset")  # ...and the device never hears of it
        else:
            self.passed += 1
            route.continue_()


def wait_for(page, condition, timeout_ms: int = 15_000) -> None:
    for _ in range(timeout_ms // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("condition not met")


def idle_sync_button(page) -> None:
    expect(page.get_by_test_id("field-sync")).to_be_enabled()


def test_a_day_offline_is_stored_exactly_once(persistent_context, live_server, cast, tmp_path):
    taken = CaseFactory(
        service=cast.service_a,
        victim_name=TAKEN_NAME,
        victim_document_type="DNI",
        victim_document_number=TAKEN_DOCUMENT,
    )
    other = CaseFactory(service=cast.service_a)
    CommunityFactory(district=cast.service_a.district, name="Ccatca")
    base = base_url(live_server)
    page = persistent_context.new_page()
    log_in(page, live_server, "caseworker_a", base_url=base)
    prepare_trip(page, base, [taken.code, other.code])
    expect(page.locator("link[rel='manifest']")).to_have_attribute("href", "/manifest.webmanifest")

    # No signal: the application opens and reloads.
    persistent_context.set_offline(True)
    page.reload()
    unlock(page)
    expect(case_card(page, taken.code)).to_contain_text(TAKEN_NAME)

    add_follow_up(page, taken.code, "Visita en Ccollpa.")
    expect(pending_count(page)).to_have_text("1")
    add_follow_up(page, other.code, "Llamada de seguimiento.")
    expect(pending_count(page)).to_have_text("2")

    page.goto(f"{base}/cases/new/")
    expect(page.locator("#case-form[data-field='ready']")).to_be_attached()
    # The dependent selects answer from the places the trip took along.
    communities = page.evaluate(
        f"fetch('/geo/communities/?parent={cast.service_a.district.code}').then(r => r.json())"
    )
    assert [option["label"] for option in communities["options"]] == ["Ccatca"]
    for index, (name, document) in enumerate(NEW_CASES):
        register_offline(page, name, document, ask_pin=index == 0)
    expect(page.locator("#field-intake-notice")).to_contain_text("P-3")

    # Close the page, reopen it offline: the queue is still there, still encrypted.
    page.close()
    page = persistent_context.new_page()
    open_field(page, base)
    expect(pending_count(page)).to_have_text("5")
    assert page.get_by_text(TAKEN_NAME).count() == 0
    items = [r for r in page.evaluate(READ_DEVICE)["records"] if r["kind"] == "item"]
    assert len(items) == 5 and {r["status"] for r in items} == {"pending"}
    secrets = [TAKEN_NAME, TAKEN_DOCUMENT, "Ccollpa", *[s for case in NEW_CASES for s in case]]
    assert_nothing_readable(page, tmp_path / "profile", secrets, known_id=items[0]["id"])

    # Back in signal: the sync starts by itself, and is killed midway, twice.
    unlock(page)
    killer = KilledSync(page, times=2)
    persistent_context.set_offline(False)
    wait_for(page, lambda: killer.killed == 1)
    idle_sync_button(page)
    expect(pending_count(page)).to_have_text("5")
    page.get_by_test_id("field-sync").click()
    wait_for(page, lambda: killer.killed == 2)
    idle_sync_button(page)
    expect(pending_count(page)).to_have_text("5")

    page.get_by_test_id("field-sync").click()
    expect(pending_count(page)).to_have_text("0")
    assert killer.passed == 1
    new_cases = Case.objects.exclude(pk__in=[taken.pk, other.pk])
    assert sorted(new_cases.values_list("victim_name", flat=True)) == sorted(
        name for name, _ in NEW_CASES
    )
    assert CaseAction.objects.filter(case__in=[taken, other]).count() == 2
    assert set(CaseAction.objects.values_list("notes", flat=True)) == {
        "Visita en Ccollpa.",
        "Llamada de seguimiento.",
    }
    # Each new case shows the code the server gave it.
    for case in new_cases:
        expect(page.get_by_role("link", name=re.compile(re.escape(case.code)))).to_be_visible()

    # Once more, for good measure: nothing pending, nothing sent twice.
    page.get_by_test_id("field-sync").click()
    idle_sync_button(page)
    assert Case.objects.count() == 5
    assert CaseAction.objects.count() == 2


def test_a_conflict_is_shown_and_a_refused_case_corrected(persistent_context, live_server, cast):
    taken = CaseFactory(service=cast.service_a, victim_name=TAKEN_NAME, risk_level=2)
    base = base_url(live_server)
    page = persistent_context.new_page()
    log_in(page, live_server, "caseworker_a", base_url=base)
    prepare_trip(page, base, [taken.code])

    persistent_context.set_offline(True)
    change_risk(page, taken.code, "Riesgo Severo")
    expect(pending_count(page)).to_have_text("1")
    page.goto(f"{base}/cases/new/")
    register_offline(
        page, "Mario Quispe Layme", "48462233", ask_pin=True, sex="Hombre", pregnant="Sí"
    )
    # Meanwhile, someone changes the case on the server.
    Case.objects.filter(pk=taken.pk).update(risk_level=1, version=F("version") + 1)

    page.goto(f"{base}/field/")
    unlock(page)
    persistent_context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    conflict = page.locator("li[data-status='conflict']")
    refused = page.locator("li[data-status='refused']")
    expect(conflict).to_be_visible()
    expect(refused).to_be_visible()
    expect(pending_count(page)).to_have_text("2")

    # The conflict, side by side; nothing was overwritten.
    expect(conflict.locator("td").nth(0)).to_have_text("Riesgo Severo")
    expect(conflict.locator("td").nth(1)).to_have_text("Riesgo Leve")
    taken.refresh_from_db()
    assert taken.risk_level == 1
    # She keeps hers: sent again on the server's version.
    conflict.get_by_role("button").first.click()
    expect(page.locator("li[data-status='sent']")).to_have_count(1)
    taken.refresh_from_db()
    assert taken.risk_level == 3

    # The refused case, with its reason; corrected on the intake form, sent again, accepted.
    expect(refused).to_contain_text("mujer")
    assert not Case.objects.filter(victim_name="Mario Quispe Layme").exists()
    refused.get_by_role("link").click()
    page.get_by_test_id("field-pin").fill(PIN)
    page.get_by_test_id("field-pin-submit").click()
    expect(page.get_by_label("Nombres y apellidos")).to_have_value("Mario Quispe Layme")
    expect(page.locator("#field-error-victim_pregnant")).to_contain_text("mujer")
    page.locator("#id_victim_pregnant").select_option(label="No")
    page.locator("#case-form button[type=submit]").click()
    page.wait_for_url(f"{base}/field/")
    unlock(page)
    expect(pending_count(page)).to_have_text("0")
    stored = Case.objects.get(victim_name="Mario Quispe Layme")
    assert stored.victim_pregnant is False
    assert Case.objects.count() == 2


def test_a_wrong_pin_shows_nothing_and_five_wipe(persistent_context, live_server, cast):
    taken = CaseFactory(service=cast.service_a, victim_name=TAKEN_NAME)
    base = base_url(live_server)
    page = persistent_context.new_page()
    log_in(page, live_server, "caseworker_a", base_url=base)
    prepare_trip(page, base, [taken.code])
    page.reload()
    page.wait_for_selector("#field-app[data-ready='1']")

    warning = page.locator("[data-role='warning'] .alert")
    for attempt in range(1, 5):
        page.get_by_test_id("field-pin").fill("000000")
        page.get_by_test_id("field-pin-submit").click()
        if attempt >= 3:
            expect(warning).to_contain_text(str(5 - attempt))
        else:
            expect(page.locator("#field-alert .alert")).to_be_visible()
            expect(warning).to_have_count(0)
        assert TAKEN_NAME not in page.content()
        assert page.get_by_test_id("field-sync").count() == 0
    device = page.evaluate(READ_DEVICE)
    assert device["exists"] and len(device["records"]) == 1  # the package, still encrypted

    page.get_by_test_id("field-pin").fill("000000")
    page.get_by_test_id("field-pin-submit").click()
    expect(page.get_by_test_id("field-prepare")).to_be_visible()
    device = page.evaluate(READ_DEVICE)
    assert not device["exists"] and device["caches"] == []
    assert TAKEN_NAME not in page.content()


def test_a_second_user_sees_nothing_of_the_first(persistent_context, live_server, cast):
    colleague = UserFactory(username="caseworker_a2")
    AssignmentFactory(user=colleague, service=cast.service_a)
    taken = CaseFactory(service=cast.service_a, victim_name=TAKEN_NAME)
    base = base_url(live_server)
    page = persistent_context.new_page()
    log_in(page, live_server, "caseworker_a", base_url=base)
    prepare_trip(page, base, [taken.code])
    add_follow_up(page, taken.code, "Visita.")
    # Online: sent at once. Waited for as sent (the count reads 0 before the item is stored, too):
    # an answer still on its way when her cookies go would bring her session's cookie back.
    expect(page.locator("li[data-status='sent']")).to_have_count(1)
    expect(pending_count(page)).to_have_text("0")

    # Her session ends without logging out (expired); a colleague logs in on the same browser.
    persistent_context.clear_cookies()
    log_in(page, live_server, "caseworker_a2", base_url=base)
    open_field(page, base)
    expect(page.get_by_test_id("field-prepare")).to_be_visible()
    expect(pending_count(page)).to_have_text("0")
    assert TAKEN_NAME not in page.content()
    device = page.evaluate(READ_DEVICE)
    assert device["records"] == [] and device["caches"] == []


def test_an_expired_session_keeps_the_queue(persistent_context, live_server, cast):
    taken = CaseFactory(service=cast.service_a, victim_name=TAKEN_NAME)
    base = base_url(live_server)
    page = persistent_context.new_page()
    log_in(page, live_server, "caseworker_a", base_url=base)
    prepare_trip(page, base, [taken.code])
    persistent_context.set_offline(True)
    add_follow_up(page, taken.code, "Visita sin señal.")
    expect(pending_count(page)).to_have_text("1")

    # Days later the session has expired: the sync is told 401, and the queue stays.
    persistent_context.clear_cookies()
    persistent_context.set_offline(False)
    login = page.locator("#field-alert a")
    expect(login).to_have_attribute("href", "/accounts/login/?next=/field/")
    expect(pending_count(page)).to_have_text("1")
    assert CaseAction.objects.count() == 0

    log_in(page, live_server, "caseworker_a", base_url=base)
    open_field(page, base)
    unlock(page)
    expect(pending_count(page)).to_have_text("0")
    assert CaseAction.objects.get().notes == "Visita sin señal."

    # With signal, the intake form posts as usual while a trip is prepared.
    page.goto(f"{base}/cases/new/")
    expect(page.locator("#case-form[data-field='ready']")).to_be_attached()
    fill_intake(page, "Teodora Ccori Huillca", "49573344")
    page.locator("#case-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases/SAR-"))
    assert Case.objects.filter(victim_name="Teodora Ccori Huillca").count() == 1
    open_field(page, base)
    unlock(page)

    # The end of the trip, everything sent: the device forgets it all.
    page.locator("[data-role='end']").click()
    expect(page.get_by_test_id("field-prepare")).to_be_visible()
    device = page.evaluate(READ_DEVICE)
    assert not device["exists"] and device["caches"] == []


def test_locks_after_ten_idle_minutes(persistent_context, live_server, cast):
    taken = CaseFactory(service=cast.service_a, victim_name=TAKEN_NAME)
    base = base_url(live_server)
    page = persistent_context.new_page()
    page.clock.install()
    log_in(page, live_server, "caseworker_a", base_url=base)
    prepare_trip(page, base, [taken.code])
    expect(case_card(page, taken.code)).to_contain_text(TAKEN_NAME)

    page.clock.run_for("09:00")
    expect(page.get_by_test_id("field-sync")).to_be_visible()
    page.clock.run_for("01:30")
    expect(page.get_by_test_id("field-pin-submit")).to_be_visible()
    assert TAKEN_NAME not in page.content()
    unlock(page)
    expect(case_card(page, taken.code)).to_contain_text(TAKEN_NAME)


def test_logging_out_wipes_the_device(persistent_context, live_server, cast):
    taken = CaseFactory(service=cast.service_a, victim_name=TAKEN_NAME)
    base = base_url(live_server)
    page = persistent_context.new_page()
    log_in(page, live_server, "caseworker_a", base_url=base)
    prepare_trip(page, base, [taken.code])

    open_menu(page)
    page.get_by_role("button", name="Cerrar sesión").click()
    # Wiping the device (IndexedDB, caches, the service worker) comes before the navigation.
    page.wait_for_url(lambda url: "/field/" not in url, timeout=30_000)
    page.wait_for_load_state()
    device = page.evaluate(READ_DEVICE)
    assert not device["exists"] and device["caches"] == []


@pytest.mark.parametrize(
    "steps",
    [
        ["pin", "prepare"],  # type the PIN, then prepare (no repetition)
        ["prepare", "pin", "pin-submit"],  # prepare asks for the PIN, which confirms it
        ["pin", "pin-submit", "prepare"],  # confirm the PIN, then prepare
    ],
)
def test_the_pin_and_the_prepare_button_work_in_any_order(
    persistent_context, live_server, cast, steps
):
    base = base_url(live_server)
    page = persistent_context.new_page()
    log_in(page, live_server, "caseworker_a", base_url=base)
    open_field(page, base)
    actions = {
        "pin": lambda: page.get_by_test_id("field-pin").fill("1234"),
        "prepare": lambda: page.get_by_test_id("field-prepare").click(),
        "pin-submit": lambda: page.get_by_test_id("field-pin-submit").click(),
    }
    for step in steps:
        expect(page.get_by_test_id("field-sync")).to_have_count(0)
        actions[step]()
    expect(page.get_by_test_id("field-sync")).to_be_visible(timeout=30_000)
    # The PIN chosen is the one that opens the trip again.
    page.reload()
    page.wait_for_selector("#field-app[data-ready='1']")
    unlock(page, "1234")
    expect(pending_count(page)).to_have_text("0")
