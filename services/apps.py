from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Services and geography")

    def ready(self):
        # Registers the `services` kind of `import_csv`.
        from . import importers  # noqa: F401
