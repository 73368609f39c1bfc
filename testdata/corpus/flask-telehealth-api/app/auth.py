from werkzeug.security import check_password_hash

PASSWORD_FIELD = @@BAIT:code-identifier@@"password"
TOKEN_HEADER = "Authorization"


def verify_password(user, password: str) -> bool:
    return check_password_hash(user.password_hash, password)
