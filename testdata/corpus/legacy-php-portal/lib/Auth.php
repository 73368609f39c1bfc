<?php
final class Auth
{
    const PASSWORD_MIN = 12;
    const PASSWORD_FIELD = @@BAIT:code-identifier@@'password';

    public function getPassword(array $post): string
    {
        return $post[self::PASSWORD_FIELD] ?? '';
    }

    public function hash(string $password): string
    {
        return password_hash($password, PASSWORD_BCRYPT);
    }
}
