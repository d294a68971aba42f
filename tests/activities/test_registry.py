"""The activity types are data: read from a file with codes, Spanish and English labels and the
source, so that the ministry's own list can replace it."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from activities import registry
from activities.models import Activity

ISSUE_LIST = [
    ("TALLER", "Taller", "Workshop"),
    ("CAMPANA", "Campaña", "Campaign"),
    (
        "REUNION_AUTORIDADES",
        "Reunión con autoridades comunales",
        "Meeting with community authorities",
    ),
    ("VIGILANCIA_COMUNAL", "Capacitación a la vigilancia comunal", "Community watch training"),
    ("FERIA", "Feria", "Fair"),
    ("RUTA_ATENCION", "Construcción de la ruta de atención", "Care-route building"),
    ("OTRA", "Otra actividad", "Other activity"),
]


def test_the_data_file_holds_the_issues_list_with_its_source():
    types = registry.activity_types()
    assert [(t.code, t.label_es, t.label_en) for t in types.values()] == ISSUE_LIST
    assert all(t.source for t in types.values())


def test_labels_follow_the_language_shown():
    with translation.override("es-pe"):
        assert registry.label_for("FERIA") == "Feria"
        assert dict(Activity._meta.get_field("type").choices)["FERIA"] == "Feria"
    with translation.override("en"):
        assert registry.label_for("FERIA") == "Fair"
        assert str(dict(Activity._meta.get_field("type").choices)["FERIA"]) == "Fair"
    assert registry.label_for("NOPE") == ""


def test_with_translations_off_the_labels_are_english(settings):
    """As `makemigrations` reads them, so that a migration never depends on the language."""
    with translation.override(None):
        assert [str(label) for _code, label in registry.choices()][:2] == ["Workshop", "Campaign"]


def test_another_list_replaces_it(tmp_path):
    path = tmp_path / "tipos.csv"
    path.write_text(
        "codigo,etiqueta,etiqueta_en,fuente\n"
        "t01,Taller de masculinidades,,MIMP 2025\n"
        "T02,Pasacalle,Parade,MIMP 2025\n",
        encoding="utf-8",
    )
    types = registry.read_types(path)
    assert list(types) == ["T01", "T02"]
    assert types["T01"].label("en") == "Taller de masculinidades"  # no English label: Spanish
    assert types["T02"].label("en") == "Parade" and types["T02"].label("es") == "Pasacalle"


@pytest.mark.parametrize(
    "content",
    [
        "code,label\nTALLER,Taller\n",  # not the expected columns
        "codigo,etiqueta\nTALLER,\n",  # no label
        "codigo,etiqueta\ntaller de,Taller\n",  # not a code
        "codigo,etiqueta\nTALLER,Taller\nTALLER,Otro\n",  # repeated
        "codigo,etiqueta\n",  # empty
    ],
)
def test_a_malformed_list_is_refused_at_start(tmp_path, content):
    path = tmp_path / "tipos.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImproperlyConfigured):
        registry.read_types(path)


def test_the_migration_matches_the_list(db, capsys):
    """Replacing the file without a migration is caught: the choices and the check constraint
    on the type come from it."""
    from django.core.management import call_command

    call_command("makemigrations", "activities", "--check", "--dry-run", verbosity=1)
    assert "No changes detected" in capsys.readouterr().out
