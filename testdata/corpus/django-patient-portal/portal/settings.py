from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "@@SECRET:django-secret-key@@"
DEBUG = False
ALLOWED_HOSTS = ["portal.stmarys-health.org"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "portal",
        "USER": "portal",
        "PASSWORD": "@@SECRET:generic-password@@",
        "HOST": "portal-db.stmarys.internal",
        "PORT": "5432",
    }
}

EMAIL_HOST = "smtp.sendgrid.net"
EMAIL_HOST_USER = "apikey"
EMAIL_HOST_PASSWORD = "@@SECRET:sendgrid-api-key@@"

AWS_STORAGE_BUCKET_NAME = "stmarys-portal-media"
AWS_S3_ACCESS_KEY_ID = "@@SECRET:aws-access-key-id@@"
AWS_S3_SECRET_ACCESS_KEY = "@@SECRET:aws-secret-access-key@@"

FIELD_ENCRYPTION_KEY = "@@SECRET:encryption-key@@"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "@@BAIT:code-identifier@@django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 3600
LOGIN_REDIRECT_URL = "/records/"
