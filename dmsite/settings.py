"""Settings for dmsite, read from the environment only.

With no environment the embedded defaults apply (SQLite, local-memory cache,
in-memory channel layer, console SMS); see the README for every variable.
"""

import datetime
import os
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from dmsite.env import (
    env_bool,
    env_int,
    env_list,
    env_rate,
    env_region_ages,
    env_str,
    env_word_list,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
# The fallback key is only good for a laptop (`make run` turns DEBUG on). Without DEBUG
# there is no fallback: a production start without a key stops here, never signs
# sessions and tokens with a key anyone can read in this file.
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Environment variable DJANGO_SECRET_KEY is not set: with DJANGO_DEBUG off "
            "dmsite needs a long random key of its own (docs/deploy.md)."
        )
    SECRET_KEY = "django-insecure-dmsite-development-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",  # only for the migration of its tokens to DeviceToken
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "channels",
    "accounts",
    "privacy",
    "messaging",
    "attachments",
    "moderation",
]

MIDDLEWARE = [
    "dmsite.notfound.ProductNotFoundMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "dmsite.headers.SameHostSocketCSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "dmsite.headers.NoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees a view's exception first: a backing service down is a 503.
    "dmsite.errors.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "dmsite.urls"
ASGI_APPLICATION = "dmsite.asgi.application"
WSGI_APPLICATION = None

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

# Read whatever the database, so that a bad value stops every start-up.
DATABASE_POOL_MAX = env_int("DATABASE_POOL_MAX", 10, minimum=0)
DATABASE_POOL_TIMEOUT = env_int("DATABASE_POOL_TIMEOUT", 10, minimum=1)
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        # Wait for the write lock instead of failing at once (parallel sends, tests).
        timeout=20,
        # Take the write lock when a transaction starts: a transaction that read first
        # and then wrote got `database is locked` at once (500s under parallel sends).
        transaction_mode="IMMEDIATE",
        # Readers never wait for the writer; a commit appends to the log without
        # an fsync of the database (durable across a crash of the process; the last
        # commits can be lost only with the machine's power).
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    )
    # The sockets' calls share one worker thread: keep its connection (a local file,
    # nothing on the other side to run out of) instead of reopening it for every frame.
    if not os.environ.get("DATABASE_CONN_MAX_AGE"):
        DATABASES["default"]["CONN_MAX_AGE"] = 600
    # A file, not memory, so that the live Daphne servers of the browser tests share it.
    # One file per test run, so that parallel runs never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"dmsite-test-{os.getpid()}.sqlite3")
    }
elif DATABASES["default"]["ENGINE"].endswith("postgresql") and DATABASE_POOL_MAX:
    # Django's backend, checking a pooled connection cheaply before lending it.
    DATABASES["default"]["ENGINE"] = "dmsite.postgresql"
    # Django's psycopg pool: a request or socket call borrows a connection and gives it
    # back, never opens its own. Every process holds up to DATABASE_POOL_MAX connections:
    # processes x DATABASE_POOL_MAX must stay below PostgreSQL's max_connections
    # (docs/deploy.md). 0 turns the pool off (then DATABASE_CONN_MAX_AGE applies).
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them; Django must not
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, DATABASE_POOL_MAX),
        "max_size": DATABASE_POOL_MAX,
        # A request waits this long for a free connection, then fails.
        "timeout": DATABASE_POOL_TIMEOUT,
    }
    # An idle connection the server dropped (a restart, a failover) is replaced when
    # borrowed, not handed to a request to fail: dmsite/postgresql/base.py checks each
    # loan (Django's own check would probe every loan with a round trip).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
if DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool(
    "DATABASE_PREPARED_STATEMENTS", True
):
    # Parameters bound on the server and a statement run five times prepared on its
    # connection: a send's statements are then planned once per connection, not on every
    # run (planning was most of PostgreSQL's CPU per send: 2.0 -> 0.7 ms, bench/README.md).
    # Off (DATABASE_PREPARED_STATEMENTS=0) behind a pooler that cannot keep prepared
    # statements, such as PgBouncer in transaction mode before 1.21 (docs/deploy.md).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "dmsite"),
            # A Redis that hangs (a network cut) fails a request within seconds, as a 503
            # `service_unavailable`, instead of holding it and its thread forever.
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
    # `pubsub` (channels-redis's RedisPubSubChannelLayer: Redis PUBLISH/SUBSCRIBE; no
    # per-process capacity to overflow, no group members left behind by a killed
    # process) or `core` (RedisChannelLayer: a sorted set per process, with capacity and
    # group expiry). bench/layers.py measures both; docs/decisions.md has the figures.
    CHANNEL_LAYER_KIND = env_str("CHANNEL_LAYER", "pubsub")
    _layer_hosts = [
        # No read timeout: redis-py's default (5 s) equals the core layer's 5 s blocking
        # pop, so an idle socket's receive failed with TimeoutError and killed its consumer.
        {"address": url, "socket_timeout": None, "socket_connect_timeout": 2}
        for url in env_list("CHANNEL_LAYER_REDIS_URLS", [REDIS_URL])
    ]
    _layer_prefix = env_str("CACHE_KEY_PREFIX", "dmsite")
    if CHANNEL_LAYER_KIND == "pubsub":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": _layer_hosts, "prefix": _layer_prefix},
            }
        }
    else:
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                # Several hosts shard the channel layer (channels-redis hashes each channel
                # and group to one host); the cache stays on REDIS_URL.
                "CONFIG": {
                    "hosts": _layer_hosts,
                    "prefix": _layer_prefix,
                    # Every socket of a process shares one queue in Redis: its capacity is
                    # the process's, not one socket's (channels-redis's default is 100).
                    "capacity": env_int("CHANNEL_LAYER_CAPACITY", 100, minimum=1),
                    "group_expiry": env_int("CHANNEL_LAYER_GROUP_EXPIRY", 86400, minimum=60),
                },
            }
        }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
KNOX_TOKEN_MODEL = "accounts.DeviceToken"  # noqa: S105 (a model name)
# API tokens (one per device, stored hashed) expire API_TOKEN_TTL_DAYS after their last
# use: each use moves the expiry on (at most one write a minute per token).
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30, minimum=1)
# knox's own migrations would create its AuthToken table, unused since the model is
# swapped for DeviceToken (and a table outside the models breaks test flushes).
MIGRATION_MODULES = {"knox": None}
OTP_TOTP_ISSUER = "dmsite moderation"
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=API_TOKEN_TTL_DAYS),
    "AUTO_REFRESH": True,
    "MIN_REFRESH_INTERVAL": 60,
    "AUTH_HEADER_PREFIX": "Token",
}
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
# Uploads: a local folder by default; S3-compatible object storage when MEDIA_S3_BUCKET is
# set (credentials from the standard AWS_* variables). Nothing is served from MEDIA_URL:
# every file goes through the permission check of `attachments.views`.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = None
MEDIA_S3_BUCKET = env_str("MEDIA_S3_BUCKET", "")
MEDIA_S3_ENDPOINT_URL = env_str("MEDIA_S3_ENDPOINT_URL", "")
# How long a signed S3 link stays valid, in seconds.
MEDIA_S3_URL_SECONDS = env_int("MEDIA_S3_URL_SECONDS", 60, minimum=1)
_media_storage = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": MEDIA_S3_ENDPOINT_URL or None,
            "region_name": env_str("MEDIA_S3_REGION", "") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": MEDIA_S3_URL_SECONDS,
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    }
    if MEDIA_S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Request bodies above this are refused with 400 `invalid` (the API never needs more).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 256 * 1024, minimum=1024)

# How many reverse proxies stand in front of Daphne (docs/deploy.md: 1, nginx). Each
# appends the address it saw to X-Forwarded-For; the client's own address is the one
# the outermost trusted proxy saw, and entries left of it are the client's to write.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# Production hardening, on whenever DEBUG is off (each can be turned off behind a TLS proxy).
# X-Forwarded-Proto means something only when a proxy of ours sets it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Content-Security-Policy (django-csp): no inline script runs, except one carrying the
# response's nonce (`{{ request.csp_nonce }}`, only /api/docs/'s Swagger UI has one).
# blob: is for the composer's previews and recorded voice notes; data: for the icons
# of Swagger UI's and the admin's style sheets. The page's own ws(s)://host is added to
# connect-src per request (dmsite.headers).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "blob:", "data:"],
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Powerful features no page of dmsite uses are off for it and anything it embeds; the
# microphone is for voice notes, on this origin only (django-permissions-policy).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": ["self"],
    "midi": [],
    "payment": [],
    "usb": [],
}

REST_FRAMEWORK = {
    # Token first, so an unauthenticated request gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.DeviceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["dmsite.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dmsite.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "dmsite API",
    "DESCRIPTION": "TikTok-style direct messages: accounts, follows, privacy, messaging.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's error answers, in the SPEC section 4 shape (dmsite/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "dmsite.openapi.add_error_responses",
    ],
}

# SMS: `console`, `file`, `locmem`, or a dotted path to a backend class.
SMS_BACKEND = env_str("SMS_BACKEND", "console")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(BASE_DIR / "sms.jsonl"))

# The limits of SPEC section 3, every one from its variable.
RATE_MESSAGES = env_rate("RATE_MESSAGES", "30/60")
RATE_RECIPIENTS = env_rate("RATE_RECIPIENTS", "20/3600")
RATE_FOLLOWS = env_rate("RATE_FOLLOWS", "30/600")
RATE_PHONE_SENDS = env_rate("RATE_PHONE_SENDS", "5/3600")
RATE_LOGIN = env_rate("RATE_LOGIN", "10/900")
# Wrong passwords per account from any address (log-in, admin, password checks).
RATE_LOGIN_ACCOUNT = env_rate("RATE_LOGIN_ACCOUNT", "20/900")
RATE_SIGNUPS = env_rate("RATE_SIGNUPS", "20/3600")
RATE_REPORTS = env_rate("RATE_REPORTS", "20/3600")
RATE_GROUPS = env_rate("RATE_GROUPS", "10/86400")
RATE_REACTIONS = env_rate("RATE_REACTIONS", "120/60")
# Frames one socket may send (every kind, bad ones too), before `rate_limited` frames.
RATE_SOCKET_FRAMES = env_rate("RATE_SOCKET_FRAMES", "60/10")
PHONE_RESEND_SECONDS = env_int("PHONE_RESEND_SECONDS", 60)
PHONE_CODE_ATTEMPTS = env_int("PHONE_CODE_ATTEMPTS", 5, minimum=1)
PHONE_CODE_TTL = env_int("PHONE_CODE_TTL", 600, minimum=1)
# Days a number another account gave up stays unusable for every other account.
PHONE_REUSE_DAYS = env_int("PHONE_REUSE_DAYS", 30, minimum=0)
DM_MAX_LENGTH = env_int("DM_MAX_LENGTH", 2000, minimum=1)
DM_REQUEST_MAX_MESSAGES = env_int("DM_REQUEST_MAX_MESSAGES", 3, minimum=1)
DM_MIN_AGE = env_int("DM_MIN_AGE", 16, minimum=1)
DM_MIN_AGE_BY_REGION = env_region_ages("DM_MIN_AGE_BY_REGION")
DM_UNSEND_SECONDS = env_int("DM_UNSEND_SECONDS", 180)
# Sockets one user may have open; a new one past this closes the oldest (code 4409).
WS_MAX_SOCKETS_PER_USER = env_int("WS_MAX_SOCKETS_PER_USER", 10, minimum=1)
# Messages `sync` may send one socket per window; past it, `error rate_limited`.
RATE_WS_SYNC = env_rate("RATE_WS_SYNC", "5000/60")
ACCOUNT_MIN_AGE = env_int("ACCOUNT_MIN_AGE", 13, minimum=1)
GROUP_MAX_MEMBERS = env_int("GROUP_MAX_MEMBERS", 32, minimum=3)
RATE_UPLOADS = env_rate("RATE_UPLOADS", "60/3600")
MEDIA_MAX_BYTES = env_int("MEDIA_MAX_BYTES", 26214400, minimum=1)
MEDIA_MAX_PIXELS = env_int("MEDIA_MAX_PIXELS", 40000000, minimum=1)
VOICE_MAX_SECONDS = env_int("VOICE_MAX_SECONDS", 60, minimum=1)
VIDEO_MAX_SECONDS = env_int("VIDEO_MAX_SECONDS", 180, minimum=1)
MEDIA_MAX_PER_MESSAGE = env_int("MEDIA_MAX_PER_MESSAGE", 9, minimum=1)
# Uploads never attached to a message are deleted after this many hours.
MEDIA_UNSENT_HOURS = env_int("MEDIA_UNSENT_HOURS", 24, minimum=1)

# Safety (SPEC section 12): filtered requests, slow-starting new accounts, exports.
DM_FILTER_WORDS = env_word_list(
    "DM_FILTER_WORDLIST", str(BASE_DIR / "privacy" / "wordlists" / "offensive.txt")
)
RATE_REQUESTS = env_rate("RATE_REQUESTS", "20/86400")
RATE_REQUESTS_NEW_ACCOUNT = env_rate("RATE_REQUESTS_NEW_ACCOUNT", "3/86400")
NEW_ACCOUNT_DAYS = env_int("NEW_ACCOUNT_DAYS", 7)
RATE_EXPORTS = env_rate("RATE_EXPORTS", "3/86400")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
