# Superset's configuration for `olist bi` (read through SUPERSET_CONFIG_PATH). Only settings: the
# values come from the environment `olist bi` starts Superset with (src/bi/superset.ts).
import os

# Sessions and stored credentials are signed/encrypted with this key (OLIST_HOME/superset/secret-key).
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]

# Superset's own metadata (users, charts, dashboards): the `superset` database on the warehouse's server.
SQLALCHEMY_DATABASE_URI = os.environ["OLIST_SUPERSET_METADATA_URL"]

# One small local install: in-process caches, no Redis, no Celery. Chart data is not cached, so a
# dashboard always shows what the marts hold now (the marts are small precomputed aggregates).
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
FILTER_STATE_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}
EXPLORE_FORM_DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}
RATELIMIT_STORAGE_URI = "memory://"

# Listening on 127.0.0.1 only, over plain HTTP: no HTTPS redirect, cookies without `Secure`.
TALISMAN_ENABLED = False
SESSION_COOKIE_SECURE = False
ENABLE_PROXY_FIX = False

# No example data, no telemetry.
SUPERSET_LOAD_EXAMPLES = False
SCARF_ANALYTICS = False
FEATURE_FLAGS = {"DASHBOARD_NATIVE_FILTERS": True}
ROW_LIMIT = 50000
