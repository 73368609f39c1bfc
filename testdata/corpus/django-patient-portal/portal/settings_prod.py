import os

from .settings import *  # noqa

SECRET_KEY = @@BAIT:env-reference@@os.environ["DJANGO_SECRET_KEY"]
DATABASES["default"]["PASSWORD"] = @@BAIT:env-reference@@os.getenv("DB_PASSWORD", "")
EMAIL_HOST_PASSWORD = @@BAIT:env-reference@@os.environ.get("SENDGRID_API_KEY")
