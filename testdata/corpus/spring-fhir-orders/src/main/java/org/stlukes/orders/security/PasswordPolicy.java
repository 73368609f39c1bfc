package org.stlukes.orders.security;

import java.util.regex.Pattern;

public final class PasswordPolicy {
    public static final String PASSWORD_FIELD = @@BAIT:code-identifier@@"password";
    public static final String PROMPT = @@BAIT:i18n-string@@"Enter your password";
    private static final Pattern STRONG = Pattern.compile(@@BAIT:regex@@"^(?=.*[a-z])(?=.*[A-Z])(?=.*\\d)(?=.*[@$!%*?&])[A-Za-z\\d@$!%*?&]{12,}$");

    private PasswordPolicy() {}

    public static boolean isStrong(String password) {
        return password != null && STRONG.matcher(password).matches();
    }

    public static String getPassword() {
        return @@BAIT:env-reference@@System.getenv("ORDERS_ADMIN_PASSWORD");
    }
}
