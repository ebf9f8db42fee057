"""Default configuration; instance/config.py and FEEDBACK_* environment variables override it."""
from __future__ import annotations

import ipaddress
from typing import Any

DEV_SECRET_KEY = "dev-insecure-secret-change-me"


class ConfigurationError(RuntimeError):
    """The configuration is unsafe or incomplete; the message names the setting and says what is expected."""


class Defaults:
    """Settings every deployment starts from."""

    # "development" accepts the built-in secret key; anything else refuses to start with it.
    ENVIRONMENT = "production"
    SECRET_KEY = DEV_SECRET_KEY

    # FEEDBACK_DATABASE_URL sets DATABASE_URL; empty means SQLite in the instance folder.
    DATABASE_URL = ""
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL connection pool per worker process: a connection is pinged before use only when there is reason
    # to doubt it (idle for DATABASE_PING_AFTER_IDLE seconds, or the server dropped a connection since it was last
    # used: feedback_app/pool.py), so a restart replaces it instead of failing the request, while a busy worker
    # sends no extra `SELECT 1` per request; connections are recycled before a firewall or
    # pgbouncer idles them out; a request waits at most DATABASE_POOL_TIMEOUT seconds for a free connection and
    # a new connection at most DATABASE_CONNECT_TIMEOUT (then a 503 page asks the citizen to try again).
    DATABASE_POOL_SIZE = 5
    DATABASE_MAX_OVERFLOW = 5
    DATABASE_POOL_RECYCLE = 1800
    DATABASE_POOL_TIMEOUT = 10
    DATABASE_CONNECT_TIMEOUT = 5
    DATABASE_PING_AFTER_IDLE = 10
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
    # The official documents: the place written over the signature, and the unit whose head signs the award list.
    REPORT_PLACE = "Muara Bulian"
    CERTIFICATE_SIGNER_UNIT = "BKPSDM"
    BRANDING_FOLDER = ""  # the uploaded crest and logos; empty: branding/ in the instance folder
    # A report of more counted responses than this is built in the background (a progress page, then the file),
    # kept in REPORT_FOLDER (empty: reports/ in the instance folder) for good once its period has ended. Calibrated
    # with scripts/bench_reports (1M responses, SQLite): a report costs about 0.08 s + 0.027 ms of CPU per response,
    # so 10,000 responses take 0.35 s on a core of their own and stay under the 2 s a browser should wait while the
    # worker gets a fifth of a core (a server at load 10 on 2 cores); the busiest units' quarters (16,000-18,000)
    # and years go to the background, a small unit's quarter (a few thousand) is drawn at once.
    REPORT_BACKGROUND_RESPONSES = 10000
    REPORT_FOLDER = ""

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")

    WTF_CSRF_TIME_LIMIT = 6 * 3600  # staff forms (the citizen's survey has no session: SURVEY_MAX_AGE_SECONDS)
    # Largest request body in bytes: staff forms (a plan of eight long lines is ~50 KB) and, per endpoint, smaller
    # for the citizen's form (nine answers, a profile and a 2,000-character comment fit in 16 KB even in percent-
    # encoded non-Latin script). A route that takes a file upload gets its own larger entry. More is a 413 page.
    MAX_CONTENT_LENGTH = 256 * 1024
    REQUEST_SIZE_LIMITS = {"public.submit": 32 * 1024, "public.verified_submit": 32 * 1024,
                           "admin.staff_photo": 8 * 1024 * 1024,  # a phone photo, shrunk on upload
                           "admin.roster_upload": 2 * 1024 * 1024,
                           "admin.branding": 2 * 1024 * 1024 + 64 * 1024}  # a crest or logo of up to 2 MB
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # True (with REMEMBER_COOKIE_SECURE) whenever PUBLIC_BASE_URL is https
    REMEMBER_COOKIE_SECURE = False

    # Integrity detectors (README, "Detectors"; services/integrity). Each is a named rule; None turns it off.
    # On submit. too_fast: sent sooner after the page was drawn than SURVEY_MIN_SECONDS, or than seconds_per_answer
    # per question answered plus seconds_per_comment_char per character of comment.
    SURVEY_MIN_SECONDS = 8
    INTEGRITY_SPEEDER = {"seconds_per_answer": 1.5, "seconds_per_comment_char": 0.05}
    # straightline_fast: every element answered the same AND sent within this many seconds per answer.
    INTEGRITY_STRAIGHTLINE = {"seconds_per_answer": 2.5}
    # A survey page older than this (its signed render token says when it was drawn) is not stored: it comes back
    # with every answer kept and a fresh token, to send again (the citizen's path has no session whose CSRF token
    # could expire instead; this is the same six hours that token had).
    SURVEY_MAX_AGE_SECONDS = 6 * 3600
    # The scheduled scan (every 5 minutes) looks back this many hours (plus the widest window of its rules).
    INTEGRITY_SCAN_HOURS = 24
    # burst_officer / burst_counter: more responses within a window (minutes) than `multiple` times the officer's
    # (counter's) own typical busiest window of a day over the previous INTEGRITY_BASELINE_DAYS, and never fewer
    # than the window's floor: `new` while it has fewer than `known_after_days` active days, then `known`. A
    # counter's bursts are of answers naming no officer ("Tidak tahu"); the officer rule has the others. An
    # officer's threshold is multiplied by their counter's load, up to `counter_load` times (0: off): the rest of
    # the counter's responses (colleagues', unnamed, verified) in the same window over their own typical busiest
    # window, when above 1 and known (`known_after_days` of history): a busy counter's busy officer is no burst.
    INTEGRITY_BASELINE_DAYS = 28
    INTEGRITY_BURST_OFFICER = {"windows": {"60": {"new": 8, "known": 5}, "1440": {"new": 15, "known": 8}},
                               "multiple": 3.0, "known_after_days": 10, "counter_load": 3.0}
    INTEGRITY_BURST_COUNTER = {"windows": {"60": {"new": 20, "known": 8}, "1440": {"new": 60, "known": 15}},
                               "multiple": 3.0, "known_after_days": 10}
    # burst_device: more than `most` responses from one device (a daily-rotating keyed hash of address and browser)
    # at one counter within `minutes`. The hash is dropped after INTEGRITY_DEVICE_HASH_DAYS by the daily purge.
    INTEGRITY_BURST_DEVICE = {"most": 4, "minutes": 60}
    INTEGRITY_DEVICE_HASH_DAYS = 3
    # identical_comment: more than `most` responses about one officer (unattributed: at one counter) within
    # `minutes` whose comments, normalised (case, spaces, punctuation), are the same and at least `min_chars` long;
    # a text also written about `generic_subjects` or more officers or counters is stock wording, never a campaign.
    INTEGRITY_IDENTICAL_COMMENTS = {"most": 2, "minutes": 1440, "min_chars": 20, "generic_subjects": 3}
    # beyond_services: an officer's roster responses of a day beyond the services they delivered that day plus
    # `margin`; the count comes from the function named here ("module:function"; None from it: rule idle).
    INTEGRITY_BEYOND_SERVICES = {"margin": 1}
    INTEGRITY_SERVICES_DELIVERED = "feedback_app.services.integrity.delivered:services_delivered"
    # not_served: a roster response for an officer not on any counter's roster that weekday, or who delivered
    # no service that day.
    INTEGRITY_NOT_SERVED = True
    # shared_link: a one-time link's survey page drawn by more than `most` devices (daily-rotating keyed hashes,
    # dropped with the others after INTEGRITY_DEVICE_HASH_DAYS) before its answer: a photo of the QR passed round.
    INTEGRITY_SHARED_LINK = {"most": 2}
    # Staff whose shift is within this many minutes of now count as on duty (citizens answer after being served).
    DUTY_GRACE_MINUTES = 60
    # Verified attribution (README, "Counter screen, kiosk and queue tickets"): a one-time survey link expires this
    # many seconds after it is minted; a counter device stays signed in this many days; a counter screen reloads
    # itself every COUNTER_REFRESH_SECONDS (a new QR once its link is used); a kiosk left idle mid-survey starts over
    # after KIOSK_IDLE_SECONDS without a touch (with scripts: after asking "still there?" and waiting
    # KIOSK_WARNING_SECONDS, at least 20 for WCAG 2.2.1; without: that long after it appeared), and its thank-you page
    # returns to a fresh survey after KIOSK_THANKS_SECONDS.
    SURVEY_TOKEN_TTL = 24 * 3600
    COUNTER_DEVICE_DAYS = 180
    COUNTER_REFRESH_SECONDS = 5
    KIOSK_IDLE_SECONDS = 120
    KIOSK_THANKS_SECONDS = 8
    KIOSK_WARNING_SECONDS = 30
    # How long cached counter, roster and questionnaire data may be reused by a worker, in seconds.
    SURVEY_CONTEXT_TTL = 30
    # Largest staff photo served on the survey page, in bytes.
    STAFF_PHOTO_MAX_BYTES = 8 * 1024

    # Scoring policy (product.md): exact 1/X weights unless the printed 0,111 is wanted for comparability.
    SKM_PRINTED_WEIGHT = False
    OFFICER_ELEMENTS = ("U6", "U7")
    OFFICER_MIN_RESPONSES = 20
    OFFICER_PRIOR_WEIGHT = 10
    # Which responses make an officer's citizen score at close: "verified+roster" (one-time links and the poster's
    # roster choice) until a unit has counter screens or a queue link, then "verified" (one-time links only). The
    # first formula version takes it from here; later versions record their own (flask performance formula).
    OFFICER_SCORE_VERIFICATION = "verified+roster"

    # Performance cycle (issue 4): which period kinds run, how long after a period ends the scheduler closes
    # it (late responses and ratings are still accepted meanwhile), the first combined-index formula (later
    # versions are made with `flask performance formula`), and the predikat share above which a unit is warned.
    PERFORMANCE_PERIOD_KINDS = ("quarter", "year")  # the first rows of period_kinds; then changed in /admin/formulas
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
    # PostgreSQL: the partitions job keeps this many monthly partitions of responses made after the current one.
    PARTITION_MONTHS_AHEAD = 3

    # The scheduler holds a database lease for this many seconds and renews it every third of that; a second
    # scheduler runs nothing until the lease has lapsed. /readyz reports the scheduler missing once the lease has
    # not been renewed for SCHEDULER_STALE_SECONDS (0: the scheduler is not checked).
    SCHEDULER_LEASE_SECONDS = 90
    SCHEDULER_STALE_SECONDS = 300

    # Operations: one JSON line per request on the feedback_app.requests logger (REQUEST_LOG), and Prometheus
    # metrics at /metrics, answered only to these addresses or networks (after PROXY_COUNT is applied).
    REQUEST_LOG = True
    METRICS_ALLOWED_ADDRESSES: tuple[str, ...] = ("127.0.0.1", "::1")

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
    # When the limiter's storage (Redis) is unreachable the limits fail open: each worker falls back to its own
    # memory (limits then hold per worker, not across them) and goes back to Redis once it answers; an error
    # of the storage never refuses a citizen's survey.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
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


# setting -> smallest accepted whole number
WHOLE_NUMBERS = {
    "PROXY_COUNT": 0, "DATABASE_POOL_SIZE": 1, "DATABASE_MAX_OVERFLOW": 0, "DATABASE_POOL_RECYCLE": 1,
    "DATABASE_POOL_TIMEOUT": 1, "DATABASE_CONNECT_TIMEOUT": 1, "DATABASE_PING_AFTER_IDLE": 0,
    "SQLITE_BUSY_TIMEOUT_MS": 0, "BACKUP_KEEP": 1, "PARTITION_MONTHS_AHEAD": 1, "SCHEDULER_LEASE_SECONDS": 3,
    "SCHEDULER_STALE_SECONDS": 0,
}
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
RATELIMIT_SCHEMES = ("memory", "redis", "rediss", "redis+unix")


def check(config: dict[str, Any]) -> None:
    """Refuse at start a setting of the wrong kind, naming it and what it should be (not at the first request)."""
    for name, least in WHOLE_NUMBERS.items():
        value = config.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ConfigurationError(f"{name} is {value!r}: expected a whole number of at least {least}")
    url = str(config.get("DATABASE_URL") or "")
    if url and url.split("://", 1)[0] not in DATABASE_SCHEMES:
        raise ConfigurationError(f"DATABASE_URL '{url.split('://', 1)[0]}://...' is not supported: expected "
                                 "postgresql://user@host:5432/database or sqlite:///path/to/file.sqlite3")
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "")
    if storage.split("://", 1)[0] not in RATELIMIT_SCHEMES or "://" not in storage:
        raise ConfigurationError(f"RATELIMIT_STORAGE_URI '{storage}' is not supported: expected memory:// (one "
                                 "worker) or redis://host:6379/0 (several workers or servers)")
    addresses = config.get("METRICS_ALLOWED_ADDRESSES")
    if isinstance(addresses, str) or not isinstance(addresses, (list, tuple)):
        raise ConfigurationError(f"METRICS_ALLOWED_ADDRESSES is {addresses!r}: expected a list of addresses or "
                                 'networks, e.g. ["127.0.0.1", "10.0.0.0/24"]')
    for address in addresses:
        try:
            ipaddress.ip_network(str(address), strict=False)
        except ValueError:
            raise ConfigurationError(f"METRICS_ALLOWED_ADDRESSES holds '{address}': expected an IP address or "
                                     "network such as 10.0.0.0/24") from None
