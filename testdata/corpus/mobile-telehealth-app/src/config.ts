export const STRIPE_PUBLISHABLE_KEY = "@@FAKE:stripe-publishable-key@@";
export const EPIC_REDIRECT_URI = "org.stmarys.telehealth:/oauth2redirect";
export const PASSWORD_MIN_LENGTH = 12;
