"""Unbound extension objects, initialised in create_app()."""
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .models.base import Base
from .ratelimits import OneTripLimiter

db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
babel = Babel()
compress = Compress()
limiter = OneTripLimiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"
