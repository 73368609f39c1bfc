class Config:
    SECRET_KEY = "@@SECRET:flask-secret-key@@"
    SQLALCHEMY_DATABASE_URI = "@@SECRET:mysql-uri@@"
    MONGO_URI = "@@SECRET:mongodb-uri@@"
    CELERY_BROKER_URL = "@@SECRET:amqp-uri@@"
    TWILIO_ACCOUNT_SID = "@@FAKE:twilio-account-sid@@"
    TWILIO_API_KEY = "@@SECRET:twilio-api-key@@"
    TWILIO_API_SECRET = "@@SECRET:twilio-api-secret@@"
    JWT_SECRET_KEY = "@@SECRET:jwt-hmac-secret@@"
    JWT_TOKEN_LOCATION = ["headers"]


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "@@BAIT:low-entropy-value@@test"
    SQLALCHEMY_DATABASE_URI = "@@BAIT:url-without-credentials@@sqlite:///:memory:"
    MONGO_URI = "@@BAIT:url-without-credentials@@mongodb://localhost:27017/telehealth_test"
