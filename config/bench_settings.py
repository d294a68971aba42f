"""Settings for `manage.py bench_case_list` only: the application's own settings, plus the
bare baseline page of config/bench_urls.py. Never used to serve the application."""

from .settings import *  # noqa: F403

ROOT_URLCONF = "config.bench_urls"
