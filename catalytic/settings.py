"""Catalytic settings: read from the environment once, with embedded defaults.

With nothing set, a laptop gets SQLite, local-memory cache, console email and
development JWT keys. Production sets DEBUG=false and real values; unsafe
defaults are refused at start-up (see the checks at the end of this module).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from catalytic.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_secret,
    env_str,
    env_url,
    redis_url_from_env,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CATALYTIC_VAR_DIR", str(BASE_DIR / "var")))

DEV_SECRET_KEY = "dev-insecure-catalytic-secret-key-change-me-in-production"  # noqa: S105
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_secret("SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_url("SITE_URL", "http://localhost:8000", schemes=("http", "https")).rstrip("/")
# Set by the test suite (tests/settings.py) and the servers it starts: development JWT
# keys and plain static files even with DEBUG off.
TESTING = env_bool("CATALYTIC_TESTING", False)

INSTALLED_APPS = [
    # Django's admin with our site: login limits and TOTP (accounts/admin_site.py).
    "accounts.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_prometheus",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Recovery codes of customers' two-factor sign-in (accounts/two_factor.py).
    "django_otp.plugins.otp_static",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files for /api/docs/, served as our static files
    "corsheaders",
    "anymail",
    "djstripe",
    "accounts",
    "tenants",
    "billing",
    "notifications",
    "webhooks",
    "lattices",
    "workspaces",
]

MIDDLEWARE = [
    # django-prometheus's pair wraps everything else (first and last, as it documents).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # A request that queued too long is refused before anything else runs.
    "catalytic.middleware.LoadSheddingMiddleware",
    # Marks 5xx answers that are deliberate refusals, which django.request logs at WARNING.
    "catalytic.middleware.ExpectedRefusalMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "catalytic.middleware.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Django's session, login and messages, standing aside for /api/ (token-authenticated).
    "catalytic.page_middleware.PageSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "catalytic.page_middleware.PageAuthenticationMiddleware",
    # request.user.is_verified(): whether a staff member passed the admin's TOTP check.
    "django_otp.middleware.OTPMiddleware",
    "catalytic.page_middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "catalytic.urls"
WSGI_APPLICATION = "catalytic.wsgi.application"
ASGI_APPLICATION = "catalytic.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/dashboard/"
ADMIN_PATH = env_str("ADMIN_PATH", "admin/").strip("/") + "/"

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
                "billing.context_processors.account_state",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASE_URL = env_secret("DATABASE_URL", f"sqlite:///{BASE_DIR / 'catalytic.db'}")
try:
    _db = dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600, minimum=0),
        conn_health_checks=True,
    )
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}")
if _db["ENGINE"] == "django.db.backends.postgresql":
    # A short connect timeout keeps /health and requests from hanging on a dead server.
    _db.setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 3, minimum=1)
    # Server-side parameters and prepared statements: psycopg prepares a statement once a
    # connection has run it `prepare_threshold` times, so the request path's few
    # statements are parsed and planned once per connection, not on every call. Django
    # turns preparing off unless OPTIONS asks for it (docs/performance.md). Both off
    # behind a transaction-pooling PgBouncer (DB_SERVER_SIDE_BINDING=false).
    _db["OPTIONS"]["server_side_binding"] = env_bool("DB_SERVER_SIDE_BINDING", True)
    if _db["OPTIONS"]["server_side_binding"]:
        _db["OPTIONS"]["prepare_threshold"] = env_int("DB_PREPARE_THRESHOLD", 5, minimum=0)
    if env_bool("DB_POOL", False):
        # psycopg 3's pool replaces persistent connections; Django forbids both at once.
        _db["CONN_MAX_AGE"] = 0
        _db["OPTIONS"]["pool"] = {
            "min_size": env_int("DB_POOL_MIN", 2, minimum=0),
            "max_size": env_int("DB_POOL_MAX", 10, minimum=1),
            "timeout": env_int("DB_POOL_TIMEOUT", 5, minimum=1),
        }
    _db["TEST"] = {"NAME": env_str("DATABASE_TEST_NAME", "") or None}
    # Django's backend with a health check that reads the socket instead of running
    # SELECT 1 before each request's first query (catalytic/postgresql/base.py).
    _db["ENGINE"] = "catalytic.postgresql"
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db.setdefault("OPTIONS", {})["timeout"] = 20
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache / Redis ----------------------------------------------------------
REDIS_URL = redis_url_from_env()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "catalytic"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # Up to 100 connections per worker process: the figure docs/deploy.md
                # ("Redis") gives operators to size Redis's client limit by.
                "CONNECTION_POOL_KWARGS": {
                    "max_connections": env_int("REDIS_MAX_CONNECTIONS", 100, minimum=1),
                    "health_check_interval": 30,
                },
                # Short timeouts: a hung Redis must degrade requests, not stall them.
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "catalytic-default",
        }
    }

# --- Auth -------------------------------------------------------------------
# Argon2id at OWASP's parameters (accounts/hashers.py); PBKDF2 hashes still verify and
# are upgraded at the next login.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
JWT_KEYS_DIR = Path(env_str("JWT_KEYS_DIR", str(VAR_DIR / "jwt-keys")))
JWT_PRIVATE_KEY_PATH = env_str("JWT_PRIVATE_KEY_PATH")
JWT_PUBLIC_KEY_PATH = env_str("JWT_PUBLIC_KEY_PATH")
# Workers look at the key folder at most this often, so a rotated key reaches them all.
JWT_KEYS_RECHECK_SECONDS = env_int("JWT_KEYS_RECHECK_SECONDS", 5, minimum=0)
# simplejwt's settings are the one source of algorithm, issuer, lifetimes and claims;
# accounts/tokens.py signs and verifies with them through the key ring.
SIMPLE_JWT = {
    "ALGORITHM": env_str("JWT_ALGORITHM", "RS256"),
    "ISSUER": env_str("JWT_ISSUER", "catalytic"),
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_ACCESS_TTL_SECONDS", 900, minimum=30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=env_int("JWT_REFRESH_TTL_SECONDS", 7 * 86400, minimum=60)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "TOKEN_TYPE_CLAIM": "type",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "AUTH_TOKEN_CLASSES": ("accounts.tokens.AccessToken",),
    "TOKEN_OBTAIN_SERIALIZER": "accounts.api.token_serializers.LoginSerializer",
    "TOKEN_REFRESH_SERIALIZER": "accounts.api.token_serializers.RefreshSerializer",
    "TOKEN_VERIFY_SERIALIZER": "accounts.api.token_serializers.VerifySerializer",
}
if SIMPLE_JWT["ALGORITHM"] != "RS256":
    raise ImproperlyConfigured(
        f"JWT_ALGORITHM={SIMPLE_JWT['ALGORITHM']!r}: only RS256 is supported"
    )
# Staff must give a TOTP code to sign in to the admin (django-otp); off in development.
ADMIN_OTP_REQUIRED = env_bool("ADMIN_OTP_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Catalytic")
# API keys: last_used_at is written at most once per interval per key.
API_KEY_TOUCH_INTERVAL = timedelta(seconds=env_int("API_KEY_TOUCH_SECONDS", 60, minimum=1))
INVITATION_TTL = timedelta(days=env_int("INVITATION_TTL_DAYS", 7, minimum=1))
# How long an emailed link proving an address works: sign-up's, and an email change's.
EMAIL_VERIFICATION_TTL = timedelta(days=env_int("EMAIL_VERIFICATION_TTL_DAYS", 7, minimum=1))
EMAIL_CHANGE_TTL = timedelta(hours=env_int("EMAIL_CHANGE_TTL_HOURS", 24, minimum=1))
# How long staff can restore a closed workspace before purge_closed_tenants deletes its data.
TENANT_CLOSE_GRACE_DAYS = env_int("TENANT_CLOSE_GRACE_DAYS", 30, minimum=0)
# Rate limits, django-ratelimit "count/period" per client IP and per email ("" disables).
RATELIMIT_LOGIN = env_rate("RATELIMIT_LOGIN", "10/m")
RATELIMIT_REGISTER = env_rate("RATELIMIT_REGISTER", "5/m")
RATELIMIT_INVITE = env_rate("RATELIMIT_INVITE", "30/h")
RATELIMIT_INVITE_ACCEPT = env_rate("RATELIMIT_INVITE_ACCEPT", "10/m")
RATELIMIT_PASSWORD_RESET = env_rate("RATELIMIT_PASSWORD_RESET", "5/m")
# Verification emails a person may ask for again, and email changes, per person.
RATELIMIT_VERIFY_EMAIL = env_rate("RATELIMIT_VERIFY_EMAIL", "5/h")
# The authenticated API, per tenant by plan and per API key (one DRF throttle:
# billing/throttles.py).
API_RATE_BY_PLAN = {
    code: env_rate(f"API_RATE_{code.upper()}", default)
    for code, default in (
        ("free", "120/m"),
        ("starter", "600/m"),
        ("professional", "3000/m"),
        ("enterprise", "12000/m"),
    )
}
API_KEY_RATE = env_rate("API_KEY_RATE", "1200/m")
RATELIMIT_USE_CACHE = "default"
# A cache outage must not lock everyone out: see catalytic/ratelimits.py.
RATELIMIT_FAIL_OPEN = True
RATELIMIT_IP_META_KEY = "catalytic.client_ip.client_ip"

# --- API --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
        "accounts.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.permissions.IsTenantMember"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "catalytic.negotiation.ContentNegotiation",
    # DRF's JSONParser, plus a 400 for hostile nesting (see catalytic/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["catalytic.parsers.SafeJSONParser"],
    # drf-spectacular's, plus the framework's own errors on every operation.
    "DEFAULT_SCHEMA_CLASS": "catalytic.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "catalytic.exception_handler.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "catalytic.pagination.Pagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["billing.throttles.ApiRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Catalytic API",
    "DESCRIPTION": "Lattice computation on monthly plans.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}
# Wall-clock cap on one obstructed path search (beside each plan's points budget).
LATTICE_SEARCH_SECONDS = env_float("LATTICE_SEARCH_SECONDS", 2.0, minimum=0.05)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024, minimum=1024)
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_ALLOW_CREDENTIALS = True
# Proxies whose X-Forwarded-For is believed; anything else is the socket peer.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
# A request that waited longer than this in the queue (per the trusted proxy's
# X-Request-Start) is refused with 503 + Retry-After; 0 disables (catalytic/middleware.py).
QUEUE_TIMEOUT_MS = env_int("QUEUE_TIMEOUT_MS", 1000, minimum=0)

# --- Email ------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Catalytic <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SENDGRID_API_KEY = env_secret("SENDGRID_API_KEY")
AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID")
AWS_SECRET_ACCESS_KEY = env_secret("AWS_SECRET_ACCESS_KEY")
AWS_REGION = env_str("AWS_REGION", env_str("AWS_DEFAULT_REGION", "us-east-1"))
SMTP_URL = env_url("SMTP_URL", schemes=("smtp", "smtps", "submission"))
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL", "support@localhost")
# "inline": one delivery attempt right after the enqueueing transaction commits, then
# the worker retries; "worker": only `manage.py deliver_emails` sends.
EMAIL_DELIVERY_MODE = env_str("EMAIL_DELIVERY_MODE", "inline")
if EMAIL_DELIVERY_MODE not in ("inline", "worker"):
    raise ImproperlyConfigured(f"EMAIL_DELIVERY_MODE={EMAIL_DELIVERY_MODE!r}: use inline or worker")
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 8, minimum=1)
EMAIL_RETRY_BASE_SECONDS = env_int("EMAIL_RETRY_BASE_SECONDS", 20, minimum=1)
EMAIL_RETRY_MAX_SECONDS = env_int("EMAIL_RETRY_MAX_SECONDS", 3600, minimum=1)
# Seconds a provider may take; short, because the first attempt runs in the request.
EMAIL_PROVIDER_TIMEOUT = env_int("EMAIL_PROVIDER_TIMEOUT", 10, minimum=1)
# Sends through POST /api/email/send per tenant ("count/period"; "" disables).
EMAIL_API_RATE = env_rate("EMAIL_API_RATE", "20/h")
ANYMAIL = {
    "SENDGRID_API_KEY": SENDGRID_API_KEY,
    "WEBHOOK_SECRET": env_secret("ANYMAIL_WEBHOOK_SECRET"),
    "AMAZON_SES_CLIENT_PARAMS": {"region_name": AWS_REGION},
    "REQUESTS_TIMEOUT": EMAIL_PROVIDER_TIMEOUT,
}

# --- Stripe -----------------------------------------------------------------
STRIPE_SECRET_KEY = env_secret("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env_secret("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_url("STRIPE_API_BASE", schemes=("http", "https"))
STRIPE_LIVE_MODE = STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))
STRIPE_TEST_SECRET_KEY = STRIPE_SECRET_KEY if not STRIPE_LIVE_MODE else ""
STRIPE_LIVE_SECRET_KEY = STRIPE_SECRET_KEY if STRIPE_LIVE_MODE else ""
# Stripe's keys are a kind prefix, the mode, then letters and digits: a key pasted with a
# quote, a space or a truncation is refused here rather than as a 500 on the first webhook.
if STRIPE_SECRET_KEY and not re.fullmatch(
    r"(sk|rk)_(test|live)_[0-9A-Za-z]{8,}", STRIPE_SECRET_KEY
):
    raise ImproperlyConfigured(
        "STRIPE_SECRET_KEY must be a Stripe secret or restricted key: sk_test_, sk_live_, "
        "rk_test_ or rk_live_ followed by letters and digits"
    )
if STRIPE_PUBLISHABLE_KEY and not re.fullmatch(
    r"pk_(test|live)_[0-9A-Za-z]{8,}", STRIPE_PUBLISHABLE_KEY
):
    raise ImproperlyConfigured(
        "STRIPE_PUBLISHABLE_KEY must be pk_test_ or pk_live_ followed by letters and digits"
    )
# billing.stripe_client applies these to every Stripe call (ours and dj-stripe's).
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 2, minimum=0)
STRIPE_CONNECT_TIMEOUT = env_int("STRIPE_CONNECT_TIMEOUT", 5, minimum=1)
STRIPE_READ_TIMEOUT = env_int("STRIPE_READ_TIMEOUT", 30, minimum=1)
# Seconds a webhook signature stays acceptable (Stripe's own default): older is a replay.
STRIPE_WEBHOOK_TOLERANCE = env_int("STRIPE_WEBHOOK_TOLERANCE", 300, minimum=1)
# Where Checkout and the Portal send the customer back to.
STRIPE_RETURN_URL = env_url("STRIPE_RETURN_URL", f"{SITE_URL}/billing/", schemes=("http", "https"))
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_SUBSCRIBER_MODEL = "tenants.Tenant"
# Empty: billing links Customer.subscriber itself (metadata.tenant_id). With a key set,
# dj-stripe resolves the subscriber model on every customer sync and insists that it
# has an `email` attribute, which Tenant (billing_email) does not.
DJSTRIPE_SUBSCRIBER_CUSTOMER_KEY = ""
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
DJSTRIPE_USE_NATIVE_JSONFIELD = True

# --- Static files, i18n -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "skip_shed_requests": {"()": "catalytic.log_filters.SkipShedRequests"},
        "expected_refusals_as_warnings": {"()": "catalytic.log_filters.ExpectedRefusalsAsWarnings"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["skip_shed_requests", "expected_refusals_as_warnings"]},
    },
}

# --- Production safety --------------------------------------------------------
if not DEBUG:
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of 32+ characters when DEBUG is off"
        )
    if not env_list("ALLOWED_HOSTS", []):
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ping$", r"^metrics$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Pages load only our own static files: no inline scripts, no third-party origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # Chrome applies form-action to the redirect after a POST, so Stripe's hosted
        # Checkout and Portal must be listed (plus a fake Stripe in development).
        "form-action": [
            "'self'",
            "https://checkout.stripe.com",
            "https://billing.stripe.com",
            *env_list("CSP_EXTRA_FORM_ACTION", []),
        ],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Outgoing webhooks (webhooks/, docs/integrations.md) --------------------------------
# Tests and development only: allow endpoints on private, loopback and link-local hosts.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 5.0, minimum=0.1)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30, minimum=1)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 6 * 3600, minimum=1)
# Retries stop this many days after the event; an endpoint failing that long is disabled.
WEBHOOK_RETRY_DAYS = env_int("WEBHOOK_RETRY_DAYS", 3, minimum=1)
# --- Background jobs ----------------------------------------------------------------
# Their own settings live in catalytic/jobs_config.py (Celery's, read from the
# environment). Jobs and the operation history share the computation kinds: one OpenAPI
# enum for both, named here as drf-spectacular documents.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    **SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}),
    "ComputationKindEnum": "lattices.models.LatticeOperation.Kind",
}
