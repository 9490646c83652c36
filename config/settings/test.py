"""Test settings: same as base, with fast hashing and no broker."""

import os

from config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True

# Parallel runs on one PostgreSQL server can each name their own test database.
if os.environ.get("DJANGO_TEST_DB_NAME"):
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["DJANGO_TEST_DB_NAME"]  # noqa: F405
