"""django-tasks-db's list of background jobs, as the admin shows it: in Spanish.

The jobs (services/tasks.py) are rows of django-tasks-db's DBTaskResult, which its admin lists,
read only, for the administrators: when, how long, and the traceback of a failed one. The
package ships no Spanish: listing its msgids here (`gettext_noop` marks without translating)
puts them in our catalogue at the next `make messages`, as config/apps.py does for django-axes.
Keep the list in step with django_tasks_db/models.py and admin.py when upgrading.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_tasks_db.apps import TasksAppConfig


class TaskResultsConfig(TasksAppConfig):
    verbose_name = _("Background tasks")

    def ready(self):
        super().ready()
        from django_tasks_db.models import DBTaskResult

        # A property without a label: Django would show "Task name".
        DBTaskResult.task_name.fget.short_description = _("Task")


TASK_RESULT_STRINGS = [
    # django_tasks_db/models.py
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("status"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
]
