from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # Registers the `cases` and `measures` kinds of `import_csv`.
        from . import importers, measure_importers  # noqa: F401
