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
        # After every migrate (and flush): the triggers made what reports/rollups.py defines,
        # touching only what differs, and the rollup recounted when anything had to change.
        post_migrate.connect(install_rollup_triggers, sender=self)
