"""Settings for the case-management application, configured by environment variables.

Every deploy-specific value comes from the environment, with a safe default for development
and none for secrets in production (see README.md, "Production").
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "si", "sí"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    # Development only: a key that is useless anywhere else.
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "config.admin.SuperuserAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    # Content-Security-Policy (CONTENT_SECURITY_POLICY below); its checks catch old settings.
    "csp",
    # The password strength validator, here for its Spanish messages.
    "django_zxcvbn_password_validator",
    # django-axes under a Spanish name in the admin (config/apps.py).
    "config.apps.AxesConfig",
    # Background jobs (TASKS below): Django 6's tasks backported, kept in the database; their
    # admin list under a Spanish name (services/task_results.py).
    "django_tasks",
    "services.task_results.TaskResultsConfig",
    "services",
    "cases",
    "shelters",
    "reports",
    "field",
    "activities",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every answer (policies below).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that writes the body; after WhiteNoise, whose files are precompressed.
    "config.middleware.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "services.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Report reads go to the replica when there is one and it is current (config/replica.py).
    "config.replica.ReplicaReadsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "services.context_processors.scope",
                "cases.context_processors.pending",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# Database: DATABASE_URL, or an SQLite file under var/ for development.
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Reports may read from a PostgreSQL streaming replica of that database: DATABASE_REPLICA_URL,
# same form. They read there only while it has replayed everything the primary had committed,
# less DATABASE_REPLICA_MAX_LAG_BYTES of WAL (0: exact); otherwise, and when it is down, from the
# primary (config/replica.py, config/routers.py). Nothing is ever written there.
if os.environ.get("DATABASE_REPLICA_URL", "").strip():
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"].strip(),
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name a PostgreSQL replica.")
    # A replica that does not answer costs a report at most this many seconds, then the
    # process leaves it alone for a while (config/replica.py).
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    # Tests: the replica already has the primary's test database, replicated; never create one.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_REPLICA_MAX_LAG_BYTES = int(os.environ.get("DATABASE_REPLICA_MAX_LAG_BYTES", "0"))
DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches. "shared" is a table in the application's database (`manage.py createcachetable`
# makes it; Django's test database creation does too), so every gunicorn worker reads and
# writes the same entries without another server: counts that must hold across workers, such
# as the repeat-check rate limit, live there. "default" stays in each process's memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "warmi_shared_cache",
        # Past MAX_ENTRIES Django deletes a third of the rows, live ones too, and a rate limit
        # would forget its counts: leave room for every user's entries.
        "OPTIONS": {"MAX_ENTRIES": 200_000},
    },
}

# The key of the hashes that stand for document numbers in the audit of document checks
# (cases.DocumentCheck). Empty: SECRET_KEY. Set it apart so that rotating SECRET_KEY (sessions)
# does not change every stored hash; changing this key does.
DOCUMENT_HASH_KEY = os.environ.get("DOCUMENT_HASH_KEY", "")

# Background jobs (services/tasks.py), such as storing a big CSV import, run outside the
# request: the web process adds a row to a table of this database, and the worker
# (`manage.py db_worker`, which `make run` starts too) runs it. No queue server is needed.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTHENTICATION_BACKENDS = [
    # django-axes first, so that a locked-out account is refused before the password is tried.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Strength as an attacker would guess (zxcvbn): dictionary words, names, dates, keyboard
    # patterns and their l33t forms. Its lists are English only; config/passwords.py adds
    # Spanish, Quechua and local words, and the passwords this project has published.
    {"NAME": "config.passwords.LocalPasswordValidator"},
]
# zxcvbn's score from 0 to 4; 3 is "safe unless our database is stolen" (10^8 guesses or more).
PASSWORD_MINIMAL_STRENGTH = 3

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after 30 minutes without activity: every request pushes the expiry forward.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Failed logins lock for a while (django-axes, with config/lockout.py): 5 failures lock that
# user at that address only, so a stranger elsewhere cannot lock her out; 20 failures across
# any accounts lock the address, which stops one machine trying many accounts. The address
# limit is higher because a rural office often shares one public IP among colleagues.
AXES_HANDLER = "config.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = 5
LOCKOUT_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_RESET_ON_SUCCESS = True
# Every failure is kept, marked when it locked, in the admin (axes' access failures).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The address is the person's, not the proxy's: behind N proxies that append to
# X-Forwarded-For, the N-th entry from the right (config.lockout.client_address). Behind the
# TLS proxy of README.md ("Production") that is one proxy, which must set X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = "config.lockout.client_address"
# The username as typed, cut to fit (a longer one was a server error on PostgreSQL).
AXES_USERNAME_CALLABLE = "config.lockout.client_username"
TRUSTED_PROXY_COUNT = int(
    os.environ.get("AXES_PROXY_COUNT", "1" if env_bool("DJANGO_BEHIND_TLS_PROXY", False) else "0")
)
SILENCED_SYSTEM_CHECKS = [
    # SQLite has no covering indexes: it keeps the key of the report index and skips the
    # INCLUDE columns, which only PostgreSQL (production) needs.
    "models.W040",
]

# Internationalisation: Spanish (Peru) first, English available.
LANGUAGE_CODE = "es-pe"
LANGUAGES = [
    ("es-pe", _("Spanish (Peru)")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Lima"
USE_I18N = True
USE_TZ = True

# The legal clock (cases/clock.py). Once a complaint of violence is received, the judge has this
# many hours to grant protection measures: Ley N.° 30364, art. 16, as amended by Ley N.° 31715
# (2023), 24 hours whatever the risk. A complaint keeps the deadline computed when it was
# recorded, so a later amendment changes only new complaints. Hours are counted in
# SERVICE_TIME_ZONE, the zone of every service of the network (Peru has one, without DST).
PROTECTION_MEASURE_DEADLINE_HOURS = 24
SERVICE_TIME_ZONE = "America/Lima"

# Static files: served by the application itself (WhiteNoise), compressed and cached forever
# under hashed names in production; never from a CDN.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
if DEBUG:
    # WhiteNoise serves from the finders in development but expects the folder to exist.
    STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Security: strict by default once debug is off.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
# A refused form (stale or missing CSRF token) gets the application's Spanish 403 page.
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    # HSTS for this host always; for the ministry's other subdomains, and the browsers' preload
    # list, only when the ministry opts in: both bind hosts this application does not run, and
    # a preload entry takes months to undo. Django's deploy check warns about each while off
    # (security.W005, security.W021); that is this decision, so the warning is silenced then.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
    if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
        SILENCED_SYSTEM_CHECKS.append("security.W005")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")
    if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): only this site's own files, no inline script or style,
# no eval, nothing from another site. Bootstrap's CSS draws its icons from data: URLs, hence
# img-src; field mode needs its service worker (/sw.js) and manifest. No page may be framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Permissions-Policy: deny every powerful feature; the application uses none of them (field mode
# needs storage, a service worker and WebCrypto, which no policy governs; no geolocation).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "clipboard-read",
        "clipboard-write",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "gamepad",
        "geolocation",
        "gyroscope",
        "hid",
        "identity-credentials-get",
        "idle-detection",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "otp-credentials",
        "payment",
        "picture-in-picture",
        "publickey-credentials-create",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "web-share",
        "window-management",
        "xr-spatial-tracking",
    )
}

# Logging: to the console, never with request bodies (they may hold a victim's data).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Lockouts are warnings; every successful login at INFO is noise.
        "axes": {"level": "WARNING"},
    },
}
