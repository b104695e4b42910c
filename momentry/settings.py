"""Settings for Momentry Identities, read from the environment.

`MOMENTRY_ENV=production` turns DEBUG off and requires `MOMENTRY_SECRET_KEY` and
`MOMENTRY_ALLOWED_HOSTS`; anything else is a development setup that needs nothing installed.
"""
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("MOMENTRY_ENV", "development").lower() == "production"

# Everything the service keeps on disk by default lives below one directory.
DATA_DIR = Path(os.environ.get("MOMENTRY_DATA_DIR", BASE_DIR / "var")).resolve()

if PRODUCTION:
    SECRET_KEY = os.environ.get("MOMENTRY_SECRET_KEY", "")
    if not SECRET_KEY:
        raise ImproperlyConfigured("MOMENTRY_SECRET_KEY is required when MOMENTRY_ENV=production")
    ALLOWED_HOSTS = env_list("MOMENTRY_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("MOMENTRY_ALLOWED_HOSTS is required when MOMENTRY_ENV=production")
    DEBUG = False
    CSRF_TRUSTED_ORIGINS = env_list("MOMENTRY_CSRF_TRUSTED_ORIGINS")
    SESSION_COOKIE_SECURE = env_bool("MOMENTRY_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
else:
    SECRET_KEY = os.environ.get("MOMENTRY_SECRET_KEY", "momentry-development-only-secret-key")
    ALLOWED_HOSTS = env_list("MOMENTRY_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
    DEBUG = env_bool("MOMENTRY_DEBUG", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc as static files: the docs need no CDN
    "apikeys",
    "identities",
    "faces",
    "history",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a locked-out sign-in (console or admin) into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "momentry.urls"
WSGI_APPLICATION = "momentry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'momentry.sqlite3'}"),
        conn_max_age=int(os.environ.get("MOMENTRY_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Concurrent curators on SQLite: wait for the write lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs ~450 ms on the search queries, whose row estimates cross the JIT
    # threshold, and never pays back on this service's short queries.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("MOMENTRY_STATIC_ROOT", DATA_DIR / "staticfiles"))
if PRODUCTION:
    # Serves the collected admin and console files under gunicorn, with no proxy to configure;
    # in development runserver serves them from the apps (`runserver --insecure` with DEBUG off).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "console:identity-list"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttle (django-axes) for every password sign-in, the console's and the admin's: after
# AXES_FAILURE_LIMIT wrong passwords for one user name from one address, that pair is locked out
# for AXES_COOLOFF_TIME (a 429 with registration/locked_out.html); a successful sign-in resets the
# count. The axes backend goes first so a locked-out pair is refused even with the right password.
# The API (X-API-Key) never authenticates by password and is not throttled here. The address is
# REMOTE_ADDR, or behind MOMENTRY_TRUSTED_PROXIES reverse proxies the one the outermost proxy saw
# (momentry.login_throttle); without it every client behind a proxy would share the proxy's.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("MOMENTRY_LOGIN_THROTTLE", True)
AXES_FAILURE_LIMIT = int(os.environ.get("MOMENTRY_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("MOMENTRY_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # no banner on every command; failures and lockouts are still logged
AXES_CLIENT_IP_CALLABLE = "momentry.login_throttle.client_ip_address"
MOMENTRY_TRUSTED_PROXIES = int(os.environ.get("MOMENTRY_TRUSTED_PROXIES", "0"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apikeys.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["apikeys.permissions.HasApiKeyScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "momentry.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "momentry.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "momentry.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Momentry Identities API",
    "DESCRIPTION": "People, brands and objects that appear in a video library, and their curation.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVERS": [{"url": "/", "description": "The server that serves this schema."}],
    "COMPONENT_SPLIT_REQUEST": True,
    # The one PATCH body is partial already: no `Patched...` copy of it.
    "COMPONENT_SPLIT_PATCH": False,
    # The docs pages (/api/v1/docs/, /api/v1/redoc/) load Swagger UI and Redoc from this server
    # (drf-spectacular-sidecar's static files), and like the schema they need no key; Swagger UI
    # keeps the key given to "Authorize" across reloads and sends nothing to its online validator.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "IdentityStatusEnum": "identities.models.IdentityStatus",
        "IdentitySourceEnum": "identities.models.IdentitySource",
        "PatchableStatusEnum": "identities.models.PATCHABLE_STATUSES",
        "HistoryActionEnum": "history.models.HistoryAction",
        "IdentityOrderingEnum": "identities.filtersets.IDENTITY_ORDERING_KEYS",
        "SuggestionIncludeEnum": "identities.suggestions.INCLUDE_CHOICES",
        "SuggestionReasonEnum": "identities.suggestions.REASONS",
        "ReviewOrderEnum": "identities.suggestions.REVIEW_ORDERS",
    },
    # Request bodies are JSON (the profile image declares its multipart body itself).
    "PARSER_WHITELIST": ["momentry.api.parsers.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "momentry.api.schema.name_enums",
        "momentry.api.schema.typed_nullables",
        "momentry.api.schema.empty_optional_queries",
        "momentry.api.schema.attach_links",
        "momentry.api.schema.add_error_responses",
    ],
}

# Momentry's own settings.
MOMENTRY_OUTPUT_DIR = Path(os.environ.get("MOMENTRY_OUTPUT_DIR", DATA_DIR / "output")).resolve()
MOMENTRY_MONGO_URL = os.environ.get("MOMENTRY_MONGO_URL", "")
MOMENTRY_MONGO_DB = os.environ.get("MOMENTRY_MONGO_DB", "momentry")
MOMENTRY_EMBEDDED_MONGO_DIR = Path(
    os.environ.get("MOMENTRY_EMBEDDED_MONGO_DIR", DATA_DIR / "mongo")
).resolve()
MOMENTRY_MERGE_UNDO_WINDOW_HOURS = float(os.environ.get("MOMENTRY_MERGE_UNDO_WINDOW_HOURS", "24"))
MOMENTRY_PROFILE_IMAGE_MAX_BYTES = int(
    os.environ.get("MOMENTRY_PROFILE_IMAGE_MAX_BYTES", str(10 * 1024 * 1024))
)
MOMENTRY_PROFILE_IMAGE_MAX_PIXELS = int(
    os.environ.get("MOMENTRY_PROFILE_IMAGE_MAX_PIXELS", str(40_000_000))
)
MOMENTRY_TMDB_PROBE_ENABLED = env_bool("MOMENTRY_TMDB_PROBE_ENABLED", False)
MOMENTRY_TMDB_API_KEY = os.environ.get("MOMENTRY_TMDB_API_KEY", "")
MOMENTRY_TMDB_BASE_URL = os.environ.get("MOMENTRY_TMDB_BASE_URL", "https://api.themoviedb.org/3")
MOMENTRY_TMDB_IMAGE_BASE_URL = os.environ.get(
    "MOMENTRY_TMDB_IMAGE_BASE_URL", "https://image.tmdb.org/t/p/original"
)

DATA_UPLOAD_MAX_MEMORY_SIZE = MOMENTRY_PROFILE_IMAGE_MAX_BYTES + 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MOMENTRY_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
