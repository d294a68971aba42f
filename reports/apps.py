from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def install_rollup_triggers(sender, using="default", **kwargs):
    from .rollups import install_triggers

    install_triggers(using=using)


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # After every migrate: a migration that rebuilds a source table on SQLite drops its
        # triggers with it, so they are created again from reports/rollups.py.
        post_migrate.connect(install_rollup_triggers, sender=self)
