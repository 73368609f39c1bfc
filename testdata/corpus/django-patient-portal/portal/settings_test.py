from .settings import *  # noqa

SECRET_KEY = "@@BAIT:placeholder@@django-insecure-test-key-not-for-production"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
