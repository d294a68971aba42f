from pathlib import Path

import polib
from django.conf import settings
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale"


def test_spanish_is_the_default_and_english_is_available(client, cast):
    client.force_login(cast.caseworker_a)
    assert "Mis servicios" in client.get(reverse("home")).content.decode()

    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert "My services" in client.get(reverse("home")).content.decode()


def test_every_spanish_string_is_translated_and_compiled():
    po = polib.pofile(str(LOCALE / "es" / "LC_MESSAGES" / "django.po"))
    missing = [entry.msgid for entry in po if not entry.translated() and not entry.obsolete]
    assert missing == []
    mo = polib.mofile(str(LOCALE / "es" / "LC_MESSAGES" / "django.mo"))
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in mo}
    for entry in po.translated_entries():
        if entry.msgid_plural:
            continue
        assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, entry.msgid


def test_a_browser_asking_for_english_still_gets_spanish(client, cast):
    client.force_login(cast.caseworker_a)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Mis servicios" in page
