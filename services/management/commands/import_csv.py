"""`import_csv --kind KIND FILE [--skip-invalid]`: run a CSV import (services.csvimport)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from services.csvimport import (
    ImportAborted,
    ImportFileError,
    importer_kinds,
    run_import,
    summary_lines,
)


class Command(BaseCommand):
    help = (
        "Import services, cases, stays, community activities or protection measures from a "
        "CSV file (UTF-8 or Latin-1, comma or semicolon). "
        "All-or-nothing unless --skip-invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=importer_kinds())
        parser.add_argument("file", help="The CSV file; its header is line 1.")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Store the valid rows and write the rejected ones to <name>.rechazados.csv.",
        )

    def handle(self, *args, kind: str, file: str, skip_invalid: bool, **options):
        with translation.override(settings.LANGUAGE_CODE):
            self.run(kind, file, skip_invalid)

    def run(self, kind: str, file: str, skip_invalid: bool) -> None:
        try:
            report = run_import(kind, file, skip_invalid=skip_invalid)
        except (ImportFileError, ImportAborted) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("File %(name)s (%(encoding)s, separator «%(delimiter)s»).")
            % {
                "name": report.source_name,
                "encoding": report.encoding,
                "delimiter": report.delimiter,
            }
        )
        for note in report.notes:
            self.stdout.write(note)
        for error in report.all_errors:
            self.stderr.write(str(error))
        if report.file_errors:
            raise CommandError(_("The file cannot be imported: nothing was stored."))
        if not report.stored:
            raise CommandError(
                _(
                    "Nothing was stored: %(count)d row(s) have errors. Correct them, or import "
                    "the valid rows with --skip-invalid."
                )
                % {"count": report.rejected}
            )
        for line in summary_lines(report):
            self.stdout.write(line)
        if report.rejects_file:
            self.stdout.write(
                _("Rejected rows, with the reasons, written to %(path)s.")
                % {"path": report.rejects_file}
            )
        self.stdout.write(self.style.SUCCESS(_("Import finished.")))
