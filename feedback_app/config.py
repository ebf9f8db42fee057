"""Default configuration; instance/config.py and FEEDBACK_* environment variables override it."""
from __future__ import annotations

DEV_SECRET_KEY = "dev-insecure-secret-change-me"


class Defaults:
    """Settings every deployment starts from."""

    # "development" accepts the built-in secret key; anything else refuses to start with it.
    ENVIRONMENT = "production"
    SECRET_KEY = DEV_SECRET_KEY

    # FEEDBACK_DATABASE_URL sets DATABASE_URL; empty means SQLite in the instance folder.
    DATABASE_URL = ""
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = 10_000

    # Public address the QR codes and posters point at, e.g. https://skm.batangharikab.go.id. Required outside
    # ENVIRONMENT=development: only its host is answered (Flask's TRUSTED_HOSTS, plus EXTRA_TRUSTED_HOSTS, e.g. the
    # address a load balancer's health check uses), and https turns on secure cookies and HSTS. Empty (development
    # only): any host, and QR codes use the request's host.
    PUBLIC_BASE_URL = ""
    EXTRA_TRUSTED_HOSTS: tuple[str, ...] = ()
    HSTS_MAX_AGE = 365 * 86400  # sent when PUBLIC_BASE_URL is https; 0 sends none
    HSTS = False  # derived from PUBLIC_BASE_URL
    # Number of proxies in front of the app whose X-Forwarded-* headers are trusted (0 = none).
    PROXY_COUNT = 0

    # The regency this instance serves: its name is printed on posters; its time zone decides duty hours.
    REGION_NAME = "Kabupaten Batanghari"
    TIMEZONE = "Asia/Jakarta"

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")

    WTF_CSRF_TIME_LIMIT = 6 * 3600  # staff forms (the citizen's survey has no session: SURVEY_MAX_AGE_SECONDS)
    # Largest request body in bytes: staff forms (a plan of eight long lines is ~50 KB) and, per endpoint, smaller
    # for the citizen's form (nine answers, a profile and a 2,000-character comment fit in 16 KB even in percent-
    # encoded non-Latin script). A route that takes a file upload gets its own larger entry. More is a 413 page.
    MAX_CONTENT_LENGTH = 256 * 1024
    REQUEST_SIZE_LIMITS = {"public.submit": 32 * 1024}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # True (with REMEMBER_COOKIE_SECURE) whenever PUBLIC_BASE_URL is https
    REMEMBER_COOKIE_SECURE = False

    # Integrity: submits faster than this after the page was rendered are flagged (kept, excluded until review).
    SURVEY_MIN_SECONDS = 8
    # A survey page older than this (its signed render token says when it was drawn) is not stored: it comes back
    # with every answer kept and a fresh token, to send again (the citizen's path has no session whose CSRF token
    # could expire instead; this is the same six hours that token had).
    SURVEY_MAX_AGE_SECONDS = 6 * 3600
    # The scheduled integrity scan (services/integrity.scan, every 5 minutes) flags bursts, excluded until review:
    # more than N responses for one officer within M minutes, and more than N from one address (client_hash) at
    # one counter within M minutes. None turns a rule off. It looks back this many hours.
    INTEGRITY_BURST_OFFICER = (6, 10)
    INTEGRITY_BURST_DEVICE = (4, 60)
    INTEGRITY_SCAN_HOURS = 24
    # Staff whose shift is within this many minutes of now count as on duty (citizens answer after being served).
    DUTY_GRACE_MINUTES = 60
    # How long cached counter, roster and questionnaire data may be reused by a worker, in seconds.
    SURVEY_CONTEXT_TTL = 30
    # Largest staff photo served on the survey page, in bytes.
    STAFF_PHOTO_MAX_BYTES = 8 * 1024

    # Scoring policy (product.md): exact 1/X weights unless the printed 0,111 is wanted for comparability.
    SKM_PRINTED_WEIGHT = False
    OFFICER_ELEMENTS = ("U6", "U7")
    OFFICER_MIN_RESPONSES = 20
    OFFICER_PRIOR_WEIGHT = 10

    # Performance cycle (issue 4): which period kinds run, how long after a period ends the scheduler closes
    # it (late responses and ratings are still accepted meanwhile), the first combined-index formula (later
    # versions are made with `flask performance formula`), and the predikat share above which a unit is warned.
    PERFORMANCE_PERIOD_KINDS = ("quarter", "year")
    PERIOD_GRACE_DAYS = 5
    # Periods are opened only by HR (a POST, audited) and the scheduler, never by a page; one that ended longer
    # ago than this cannot be opened (a closed one is reopened instead), nor one that has not begun.
    PERIOD_OPEN_MAX_AGE_DAYS = 366
    PERFORMANCE_FORMULA = {"predikat_weight": 0.5, "citizen_weight": 0.5, "peer_weight": 0.0}
    PREDIKAT_CAPS = {"Sangat Baik": 0.7}
    # Contact details of citizens who asked for follow-up are deleted this many days after consent.
    CONTACT_RETENTION_DAYS = 90
    # Unit heads' digest: responses scoring below this (25-100) count as low. Without SMTP_HOST, e-mails stay in
    # the outbox table (admins read them at /hr/outbox).
    DIGEST_LOW_SCORE = 65
    SMTP_HOST = ""
    SMTP_PORT = 587
    SMTP_USERNAME = ""
    SMTP_PASSWORD = ""
    SMTP_STARTTLS = True
    MAIL_FROM = "skm@localhost"
    # Daily SQLite backups go here (empty: instance/backups); this many are kept.
    BACKUP_DIR = ""
    BACKUP_KEEP = 14

    # Flask-Compress: text answers (pages, CSV, JSON, SVG) are compressed for clients that accept it (the survey
    # page: ~10 KB -> ~3 KB); PDF, XLSX, PNG and JPEG are compressed already and are sent as they are. Every such
    # answer says Vary: Accept-Encoding, so a shared cache never hands the compressed bytes to a client that did
    # not ask for them. Streamed CSV is compressed chunk by chunk, still streamed.
    COMPRESS_MIMETYPES = ["text/html", "text/csv", "text/plain", "application/json", "image/svg+xml"]
    # gzip only: every browser takes it, and on the survey page brotli (level 4) saved 6 % more bytes (2.8 KB
    # against 3.0 KB) for twice the CPU (0.27 ms against 0.14 ms a page).
    COMPRESS_ALGORITHM = ["gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["gzip"]
    COMPRESS_LEVEL = 6
    COMPRESS_MIN_SIZE = 500

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"  # use redis://127.0.0.1:6379 with several workers
    RATELIMIT_HEADERS_ENABLED = False
    SURVEY_RATE_LIMIT_CLIENT = "10 per minute;60 per hour"
    SURVEY_RATE_LIMIT_COUNTER = "120 per minute"
    SURVEY_RATE_LIMIT_PAGE = "120 per minute"
    # Failed sign-ins: per address, per (username, address), and per username from every address together (the
    # slower limit: it is what stops guessing from many addresses, and what an attacker must exceed to lock an
    # account out for everyone).
    LOGIN_RATE_LIMIT_ADDRESS = "10 per minute"
    LOGIN_RATE_LIMIT_ACCOUNT_ADDRESS = "20 per hour"
    LOGIN_RATE_LIMIT_ACCOUNT = "100 per hour"
