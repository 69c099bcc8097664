"""Superset settings for the olist stack: every secret and address from the environment.

Configuration only (no business logic): metadata in PostgreSQL, the secret key, and the hardening a
single-host deployment needs. Written against the official image; not run on our machines.
"""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ["SUPERSET_METADATA_URI"]

# No example data, no public role, no CSV upload into the warehouse (the analyst role is read-only
# anyway; this keeps the UI from offering it).
SUPERSET_LOAD_EXAMPLES = False
PUBLIC_ROLE_LIKE = None
FEATURE_FLAGS = {"DASHBOARD_RBAC": True}
PREVENT_UNSAFE_DB_CONNECTIONS = True
WTF_CSRF_ENABLED = True
# Served behind a TLS proxy in production (docs/deployment.md); the container listens on 8088 only.
ENABLE_PROXY_FIX = True
