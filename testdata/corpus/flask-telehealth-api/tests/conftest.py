import pytest

from app import create_app


@pytest.fixture
def app():
    app = create_app("config.TestConfig")
    app.config["JWT_SECRET_KEY"] = "@@BAIT:low-entropy-value@@test-secret"
    app.config["TEST_USER_PASSWORD"] = "@@BAIT:placeholder@@password"
    return app
