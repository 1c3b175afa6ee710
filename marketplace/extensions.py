"""Extensions are created once, unbound, and bound to an app in create_app()."""
from flask_babel import Babel
from flask_compress import Compress
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf import CSRFProtect

from marketplace.core.cache import cache  # noqa: F401  (defined beside the page cache that uses it)
from marketplace.core.db import Base
from marketplace.core.jobs import JobSession

# JobSession hands the jobs a transaction asked for to the queue (or runs them) once it commits.
db = SQLAlchemy(model_class=Base, session_options={"class_": JobSession})
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI (memory:// or the Redis URL), set by config.
limiter = Limiter(key_func=get_remote_address)
talisman = Talisman()
# gzip (or brotli) for HTML, CSS, JS and JSON: a page on 3G costs a quarter of its size.
compress = Compress()
# The open-data API may be read by any site's JavaScript (GET only); nothing else is shared.
cors = CORS()
