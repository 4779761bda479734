"""AskMe settings: everything comes from the environment, with safe defaults for `make up`.

Defaults run on SQLite + a file-based cache under var/; DATABASE_URL and CACHE_URL switch to
PostgreSQL and memcached. Production turns on the HTTPS settings by env (see README).
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool = False) -> bool:
    """A flag from env; anything but an on/off word fails loudly (a typo must not mean False)."""
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r}: use one of 1/0, true/false, yes/no, on/off"
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    # Development only: `make up` and the tests run without secrets; production sets SECRET_KEY.
    # The django-insecure- prefix makes `check --deploy` flag it (security.W009).
    SECRET_KEY = "django-insecure-askme-dev-key-change-me-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "core",
    "accounts",
    "qa",
    "live",
    "inbox",
    "sidebar",
    "search",
    "axes",  # failed-login lockouts (abuse limits below)
    "django_tasks",  # background jobs (see "Background jobs" below)
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the footer switcher's cookie, else the browser's Accept-Language, else
    # English (LANGUAGE_CODE). URLs carry no language prefix.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out login into our 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "askme.urls"
WSGI_APPLICATION = "askme.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% extends %} that finds the root template's blocks once, {% url %} that reverses
            # a URL once per process (core/templatetags).
            "builtins": ["core.templatetags.kept_blocks", "core.templatetags.kept_urls"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                # {{ user }} again, unwrapped from its lazy proxy (listed after: it wins).
                "accounts.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "live.context_processors.live",
                # {{ csrf_token }} masked with one call for random bytes, not 32 (core/csrf.py).
                "core.csrf.context_processor",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Prepared statements: psycopg binds parameters on the server and prepares a statement the
    # fifth time it runs, so PostgreSQL parses and plans a page's fixed reads (the session with
    # its member, the viewer's votes, a list's cards) once per connection, not on every page:
    # its CPU a question page went 513 → 207 µs, a list's 270 → 83 µs. A transaction-mode
    # pooler (PgBouncer before 1.21) cannot keep them: DB_PREPARED_STATEMENTS=0 there.
    if env_bool("DB_PREPARED_STATEMENTS", True):
        DATABASES["default"].setdefault("OPTIONS", {})
        DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets gunicorn workers read while one writes; busy timeout instead of "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests get a file too, not Django's shared-cache in-memory database: with a live server
    # thread (e2e, live tests) the in-memory one answers "database table is locked" instead of
    # waiting; a file in WAL mode behaves like the site under `make up`.
    # One file per test process (Django deletes it at the end), so two runs never share one.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_config(url: str) -> dict:
    """CACHE_URL: empty → file cache in var/cache; file:///path; pymemcache://host:port[,host:port]."""
    # Fragments (answers, cards, comment lists) are a few KB each: room for a busy site's pages
    # (Django's default of 300 entries culled on every page view; core/cache.py).
    file_options = {"MAX_ENTRIES": env_int("FILE_CACHE_MAX_ENTRIES", 50_000)}
    if not url:
        return {
            "BACKEND": "core.cache.SafeFileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": file_options,
        }
    parts = urlsplit(url)
    if parts.scheme == "file":
        return {
            "BACKEND": "core.cache.SafeFileBasedCache",
            "LOCATION": unquote(parts.path),
            "OPTIONS": file_options,
        }
    if parts.scheme in {"pymemcache", "memcached"}:
        return {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": parts.netloc.split(","),
            # Short timeouts and ignore_exc: a stopped memcached must slow no page down.
            "OPTIONS": {
                "connect_timeout": 0.2,
                "timeout": 0.2,
                "ignore_exc": True,
                "no_delay": True,
                "retry_attempts": 1,
                "dead_timeout": 5,
            },
        }
    raise ImproperlyConfigured(f"Unsupported CACHE_URL scheme: {parts.scheme!r}")


CACHES = {"default": cache_config(env_str("CACHE_URL"))}
CACHES["default"]["KEY_PREFIX"] = env_str("CACHE_KEY_PREFIX", "askme")

# Sessions stay in the database alone (not cached_db, which would save a query a member page):
# a logout or a password change must end the session even when the cache refuses the delete
# (full disk, memcached unreachable for a moment), not leave it alive in the cache. Django's
# database engine, reading by a query written once per process (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "index"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
# The ru catalog: locale/ru/LC_MESSAGES/django.po in git; the .mo is compiled by `make up` and
# before the tests (manage.py compilemessages, GNU gettext's msgfmt).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
]
MEDIA_URL = "/uploads/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "uploads")))

# Uploads: Django refuses bodies over this before our form validation runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o644
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o755
AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_MAX_SIDE = 4096
AVATAR_SIZE = 256

# --- Abuse limits (accounts/images.py, core/throttle.py, django-axes; README "Security and
# operations"). Every figure can be changed by env. ---
# Memory one avatar may take to decode: PNG, GIF, WebP and progressive JPEG are decoded in
# full, so their pixel count is checked against this before decoding (32 MB: 3.7 megapixels of
# PNG, 2 of WebP); a baseline JPEG decodes at reduced scale and only AVATAR_MAX_SIDE binds it.
AVATAR_DECODE_MAX_BYTES = env_int("AVATAR_DECODE_MAX_BYTES", 32 * 1024 * 1024)


def env_rate(name: str, default: str) -> tuple[int, int]:
    """ "20/10m" → (20, 600): at most 20 actions per 10 minutes (s, m, h, d; bare = seconds)."""
    raw = env_str(name, default).strip().lower()
    try:
        count, period = raw.split("/")
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(period[-1:], 0)
        seconds = int(period[:-1] or 1) * unit if unit else int(period)
        if int(count) < 0 or seconds <= 0:
            raise ValueError
    except ValueError:
        raise ImproperlyConfigured(f"{name} must look like 20/10m, not {raw!r}") from None
    return int(count), seconds


# Posting limits per user (signup: per client address), counted in the cache (core/throttle.py).
THROTTLE_ENABLED = env_bool("THROTTLE_ENABLED", True)
THROTTLE_RATES = {
    "question": env_rate("THROTTLE_QUESTION", "10/h"),
    "answer": env_rate("THROTTLE_ANSWER", "30/10m"),
    "vote": env_rate("THROTTLE_VOTE", "60/m"),
    "correct": env_rate("THROTTLE_CORRECT", "30/m"),
    "comment": env_rate("THROTTLE_COMMENT", "30/10m"),
    "edit": env_rate("THROTTLE_EDIT", "30/10m"),
    "profile": env_rate("THROTTLE_PROFILE", "20/h"),  # profile saves: avatar uploads, e-mail
    "signup": env_rate("THROTTLE_SIGNUP", "10/h"),  # per address: bounds e-mail probing too
}
# Who may tell us the client's address in X-Forwarded-For (our nginx on this machine).
THROTTLE_TRUSTED_PROXIES = env_list("THROTTLE_TRUSTED_PROXIES", "127.0.0.1/32,::1/128")

# Failed logins (django-axes): after AXES_FAILURE_LIMIT failures for one username, or from one
# address, within the cool-off, logins for it are refused (429) until the cool-off has passed
# since the last counted failure. Failures while locked are not counted, so nobody can keep a
# victim's account locked beyond one cool-off per burst; a successful login clears its account's
# failures (accounts/signals.py). Attempts live in the database (axes_accessattempt).
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False  # only the account's failures; see accounts/signals.py
AXES_CLIENT_IP_CALLABLE = "core.throttle.client_ip"
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked_out"
AXES_DISABLE_ACCESS_LOG = True  # no row per successful login
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LoginLockoutBackend",  # first: axes refuses a locked-out login early
    "accounts.backends.SessionUserBackend",  # the session's member and profile in one query
    "django.contrib.auth.backends.ModelBackend",  # checks passwords
]
# --- end of abuse limits ---

# --- Community (issue 14: accounts, moderation, browse pages; community/, accounts/) ---
# The admin at /admin/ is the moderators' tool (community/admin.py); `community` holds the
# browse pages (/unanswered/, /tags/, /users/) and the moderation actions.
INSTALLED_APPS += ["django.contrib.admin", "community"]
# Password-reset requests per client address: each one may send a mail, and the page answers
# the same whether or not the address has an account, so only its rate bounds abuse.
THROTTLE_RATES["password_reset"] = env_rate("THROTTLE_PASSWORD_RESET", "5/h")
# Deleting one's account and downloading one's data, per user.
THROTTLE_RATES["account"] = env_rate("THROTTLE_ACCOUNT", "10/h")
THROTTLE_RATES["flag"] = env_rate("THROTTLE_FLAG", "30/h")  # flags per member
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600)  # link lifetime, s
# What reputation allows (community/privileges.py): "open" (everyone votes and comments; editing
# others' posts from 2,000) or "strict" (Stack Overflow: downvote 125, comment on others' 50).
REPUTATION_PRIVILEGES = env_str("REPUTATION_PRIVILEGES", "open")
if REPUTATION_PRIVILEGES not in {"open", "strict"}:
    raise ImproperlyConfigured("REPUTATION_PRIVILEGES must be open or strict")
TEMPLATES[0]["OPTIONS"]["context_processors"].append("community.context_processors.privileges")
# --- end of community ---


def email_config(url: str) -> dict:
    """EMAIL_URL: empty → files in var/mail; console://; smtp://user:pass@host:port.

    smtps:// uses implicit TLS (465), submission:// STARTTLS (587).
    """
    if not url:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(VAR_DIR / "mail"),
        }
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme in {"smtp", "smtps", "submission"}:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or {"smtp": 25, "smtps": 465, "submission": 587}[parts.scheme],
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_USE_TLS": parts.scheme == "submission",
            "EMAIL_TIMEOUT": 10,
        }
    raise ImproperlyConfigured(f"Unsupported EMAIL_URL scheme: {parts.scheme!r}")


globals().update(email_config(env_str("EMAIL_URL")))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "AskMe <noreply@askme.local>")
SITE_URL = env_str("SITE_URL", f"http://localhost:{env_int('SITE_PORT', 8000)}")

# Live answers (see live/ and deploy/nginx/).
LIVE_BACKEND = env_str("LIVE_BACKEND", "nchan")
if LIVE_BACKEND not in {"nchan", "push_stream", "off"}:
    raise ImproperlyConfigured("LIVE_BACKEND must be nchan, push_stream or off")
LIVE_PUBLISH_URL = env_str("LIVE_PUBLISH_URL", "http://127.0.0.1:8082")
LIVE_PUBLISH_TIMEOUT = float(env_str("LIVE_PUBLISH_TIMEOUT", "0.5"))
# Larger messages travel as a small "fetch" notice (live/publisher.py); below the publisher's
# client_max_body_size (256k) in deploy/nginx/ for both backends.
LIVE_MAX_MESSAGE_BYTES = env_int("LIVE_MAX_MESSAGE_BYTES", 128 * 1024)

# How long nginx may serve one rendering of a public page (lists, questions, members' pages) to
# other anonymous readers (core/decorators.py public_page); 0: never. A burst of readers of one
# page costs one rendering a second, and each page's live catch-up on load brings what is newer.
PUBLIC_PAGE_SECONDS = env_int("PUBLIC_PAGE_SECONDS", 1)

# How often cron runs refresh_sidebar (bin/cron.sh reads it from here), and how long the cached
# sidebar lives: far above the interval, so a slow or missed refresh keeps the last sidebar.
SIDEBAR_CRON_MINUTES = env_int("SIDEBAR_CRON_MINUTES", 5)
SIDEBAR_CACHE_TIMEOUT = env_int(
    "SIDEBAR_CACHE_TIMEOUT", max(24 * 3600, 12 * 60 * SIDEBAR_CRON_MINUTES)
)

# --- Background jobs (issue 15): the new-answer e-mail leaves the request through a task queue.
# django-tasks (Django 6's tasks interface, backported) with its database backend: jobs wait in
# our own database (SQLite or PostgreSQL, so `make up` needs no extra server) until
# `manage.py db_worker` runs them; bin/up.sh starts one worker, bin/down.sh stops it.
# TASKS_BACKEND=immediate runs them in the request instead (the unit tests do).
TASKS_BACKEND = env_str("TASKS_BACKEND", "database")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured("TASKS_BACKEND must be database or immediate")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND]}}
# A failed send is tried again after BASE, 2×BASE, 4×BASE … seconds (capped at an hour), up to
# TASKS_MAX_ATTEMPTS attempts in all; the last failure stays in the queue's table as FAILED.
TASKS_RETRY_BASE_SECONDS = env_int("TASKS_RETRY_BASE_SECONDS", 30)
TASKS_MAX_ATTEMPTS = env_int("TASKS_MAX_ATTEMPTS", 8)
# A new answer whose live publish failed (Nchan's Redis away, a node restarting) is published
# again by the worker after 1, 2, 4 … s, LIVE_RETRY_ATTEMPTS times (~2 min): readers whose
# stream stayed open get it once it is back (live.js drops answers it already shows).
LIVE_RETRY_BASE_SECONDS = env_int("LIVE_RETRY_BASE_SECONDS", 1)
LIVE_RETRY_ATTEMPTS = env_int("LIVE_RETRY_ATTEMPTS", 7)
# --- end of background jobs ---

# Full-text search language for PostgreSQL ("simple" works for English and Russian alike).
SEARCH_CONFIG = env_str("SEARCH_CONFIG", "simple")

# Production: behind TLS these are switched on by env so `check --deploy` is clean.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "core.views.csrf_failure"


# --- Security and operations (issue 11): CSP, logs. See README. ---
# (Request charsets Django cannot decode are refused before Django: core.middleware.CharsetGuard.)
# Before AxesMiddleware (which must stay last), so its lockout page gets the header too.
# django-csp's middleware, with the site's policy built once per process (core/csp.py).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.clickjacking.XFrameOptionsMiddleware") + 1,
    "core.csp.SitePolicyCSPMiddleware",
)
INSTALLED_APPS.append("csp")

# Content-Security-Policy on every response: scripts and styles come from our static files only
# (no inline script, no style attributes in the templates); Bootstrap's CSS draws a few icons as
# data: SVGs; uploads (avatars) and fetch/EventSource are same-origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Logs: var/log/askme.log (our apps from INFO, everything else from WARNING, 500s with their
# traceback), rotated by size across processes (gunicorn workers share the file). The console
# keeps the same lines for `runserver` and tests; gunicorn turns it off (LOG_CONSOLE=off in
# deploy/gunicorn.conf.py) since its stderr is not where an operator looks.
LOG_DIR = Path(env_str("LOG_DIR", str(VAR_DIR / "log")))
LOG_DIR.mkdir(parents=True, exist_ok=True)
LOG_MAX_BYTES = env_int("LOG_MAX_BYTES", 5 * 1024 * 1024)
LOG_BACKUP_COUNT = env_int("LOG_BACKUP_COUNT", 5)
_log_handlers = ["file", "console"] if env_bool("LOG_CONSOLE", True) else ["file"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {
            "()": "core.logs.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s",
        }
    },
    "filters": {"security_one_line": {"()": "core.logs.SecurityEventsOnOneLine"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["security_one_line"],
        },
        "file": {
            "class": "concurrent_log_handler.ConcurrentRotatingFileHandler",
            "filename": str(LOG_DIR / "askme.log"),
            "maxBytes": LOG_MAX_BYTES,
            "backupCount": LOG_BACKUP_COUNT,
            "encoding": "utf-8",
            "formatter": "line",
            "filters": ["security_one_line"],
        },
        "null": {"class": "logging.NullHandler"},
    },
    # Everything propagates to the root's handlers (where pytest's caplog listens too).
    "root": {"handlers": _log_handlers, "level": "WARNING"},
    "loggers": {
        **{
            app: {"level": "INFO"}
            for app in ("core", "accounts", "qa", "live", "sidebar", "search")
        },
        "django": {"handlers": [], "level": "WARNING"},
        # 4xx are in the access logs; only 5xx (with traceback) here.
        "django.request": {"level": "ERROR"},
        # A traceback per forged Host header would let anyone fill the log; nginx logs them.
        "django.security.DisallowedHost": {"handlers": ["null"], "propagate": False},
    },
}
