from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Community activities")

    def ready(self):
        # Registers the `activities` kind of `import_csv`.
        from . import importers  # noqa: F401
