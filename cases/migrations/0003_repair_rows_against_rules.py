"""Before the rules become constraints (0004): what earlier imports stored against them.

A migration of its own, so that on PostgreSQL its updates are committed before 0004 alters the
table (an ALTER TABLE cannot follow updates with pending trigger events in one transaction).
"""

from django.db import migrations, models
from django.db.models import Q


def repair_what_the_rules_forbid(apps, schema_editor):
    """Before the constraints: what earlier imports stored against the rules becomes unknown
    (never a guess), and is counted on the console."""
    Case = apps.get_model("cases", "Case")
    repairs = {
        "pregnant, not a woman: pregnancy unknown": (
            Case.objects.filter(victim_pregnant=True).exclude(victim_sex=0),
            {"victim_pregnant": None},
        ),
        "Peruvian with a foreign country: country unknown": (
            Case.objects.filter(victim_peruvian=True, victim_country__isnull=False),
            {"victim_country": None},
        ),
        "partner detail without a partner relationship: unknown": (
            Case.objects.filter(partner_relationship__isnull=False).exclude(relationship=1),
            {"partner_relationship": None},
        ),
        "family detail without a family relationship: unknown": (
            Case.objects.filter(family_relationship__isnull=False).exclude(relationship=2),
            {"family_relationship": None},
        ),
        "other detail without that relationship: unknown": (
            Case.objects.filter(other_relationship__isnull=False).exclude(relationship=3),
            {"other_relationship": None},
        ),
        "document type without a number: type removed": (
            Case.objects.filter(victim_document_number="").exclude(victim_document_type=""),
            {"victim_document_type": ""},
        ),
        "number without a type, or a DNI that is not 8 digits: other document": (
            Case.objects.filter(
                Q(victim_document_type="", victim_document_number__gt="")
                | Q(victim_document_type="DNI")
                & ~Q(victim_document_number__regex=r"^[0-9]{8}$")
            ),
            {"victim_document_type": "OTR"},
        ),
        "born after the intake: birth date unknown": (
            Case.objects.filter(victim_birth_date__gt=models.F("intake_date")),
            {"victim_birth_date": None},
        ),
        "aggressor older than 120: age unknown": (
            Case.objects.filter(aggressor_age__gt=120),
            {"aggressor_age": None},
        ),
    }
    for label, (cases, values) in repairs.items():
        count = cases.update(**values)
        if count:
            print(f"\n  cases 0003: {count} case(s), {label}")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0002_report_index"),
    ]

    operations = [
        migrations.RunPython(repair_what_the_rules_forbid, migrations.RunPython.noop),
    ]
