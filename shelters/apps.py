from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SheltersConfig(AppConfig):
    name = "shelters"
    verbose_name = _("Shelters")

    def ready(self):
        # Registers the `stays` kind of `import_csv` and the HRT rows of the `services` kind.
        from . import importers  # noqa: F401
