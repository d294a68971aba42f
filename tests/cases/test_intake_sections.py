"""The intake form's layout on a phone (issue 14): sections that fold (six at intake, five on
the edit form), each saying whether it holds an error, and number fields that ask for a numeric
keyboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.urls import reverse
from django.utils import translation

from tests.factories import CaseFactory

CREATE = reverse("case_create")
SECTIONS = [
    ("section-intake", "Ingreso"),
    ("section-person", "Persona usuaria"),
    ("section-residence", "Residencia"),
    ("section-aggressor", "Presunta persona agresora"),
    ("section-violence", "Violencia y riesgo"),
]
# The intake alone adds the complaint and the next follow-up (the legal clock).
INTAKE_SECTIONS = [*SECTIONS, ("section-clock", "Denuncia y próximo seguimiento")]
NUMERIC = [
    "victim_age",
    "aggressor_age",
    "daughters_0_17",
    "sons_0_17",
    "daughters_18_plus",
    "sons_18_plus",
]


@dataclass
class Section:
    id: str
    open: bool
    title: str = ""
    badge: str = ""
    badge_shown: bool = False
    fields: set[str] = field(default_factory=set)


class Sections(HTMLParser):
    """The form's <details> sections: open or not, title, badge, and the names of their fields."""

    def __init__(self):
        super().__init__()
        self.sections: list[Section] = []
        self.inputs: dict[str, dict] = {}
        self._current: Section | None = None
        self._in = None  # "title" or "badge"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "details" and "data-section" in attrs:
            self._current = Section(id=attrs["id"], open="open" in attrs)
            self.sections.append(self._current)
        elif tag in ("input", "select", "textarea") and attrs.get("name"):
            self.inputs.setdefault(attrs["name"], attrs)
            if self._current:
                self._current.fields.add(attrs["name"])
        elif self._current and tag == "span" and "case-section-title" in attrs.get("class", ""):
            self._in = "title"
        elif self._current and "data-section-badge" in attrs:
            self._in = "badge"
            self._current.badge_shown = "hidden" not in attrs

    def handle_endtag(self, tag):
        if tag == "span":
            self._in = None
        elif tag == "details":
            self._current = None

    def handle_data(self, data):
        if self._current and self._in:
            setattr(self._current, self._in, getattr(self._current, self._in) + data.strip())


def parse(response) -> Sections:
    parser = Sections()
    parser.feed(response.content.decode())
    return parser


def test_a_fresh_form_has_six_folding_sections_the_first_open(cast, as_user):
    page = parse(as_user(cast.caseworker_a).get(CREATE))

    assert [(s.id, s.title) for s in page.sections] == INTAKE_SECTIONS
    assert [s.open for s in page.sections] == [True, False, False, False, False, False]
    with translation.override("es"):
        badge = translation.gettext("Has errors")  # "Tiene errores" (its msgid is new)
    assert all(s.badge == badge and not s.badge_shown for s in page.sections)
    # Every field of the form lives in a section, under its own name.
    assert {"victim_name", "victim_age"} <= page.sections[1].fields
    assert {"region", "district", "community"} <= page.sections[2].fields
    assert "violence_acts" in page.sections[4].fields


def test_a_failed_submit_marks_and_opens_exactly_the_sections_with_errors(cast, as_user, intake):
    intake["victim_name"] = ""  # the person
    intake["risk_level"] = ""  # violence and risk
    response = as_user(cast.caseworker_a).post(CREATE, intake)

    assert response.status_code == 200
    page = parse(response)
    marked = {s.id for s in page.sections if s.badge_shown}
    opened = {s.id for s in page.sections if s.open}
    assert marked == opened == {"section-person", "section-violence"}


def test_an_error_of_a_dependent_field_marks_its_section(cast, as_user, intake):
    intake["partner_relationship"] = ""  # required by the relationship chosen
    page = parse(as_user(cast.caseworker_a).post(CREATE, intake))

    assert {s.id for s in page.sections if s.badge_shown} == {"section-aggressor"}


def test_the_edit_form_folds_the_same_way(cast, as_user):
    case = CaseFactory(service=cast.service_a)
    page = parse(as_user(cast.caseworker_a).get(reverse("case_edit", args=[case.code])))

    assert [s.id for s in page.sections] == [s for s, _ in SECTIONS]
    assert [s.open for s in page.sections] == [True, False, False, False, False]


def test_number_fields_ask_for_a_numeric_keyboard(cast, as_user):
    page = parse(as_user(cast.caseworker_a).get(CREATE))

    for name in NUMERIC:
        assert page.inputs[name]["inputmode"] == "numeric", name
        assert page.inputs[name]["type"] == "number", name
    # A document may hold letters: its keyboard follows the document type (case_form.js).
    assert "inputmode" not in page.inputs["victim_document_number"]
    assert page.inputs["intake_date"]["type"] == "date"
    assert page.inputs["victim_birth_date"]["type"] == "date"
