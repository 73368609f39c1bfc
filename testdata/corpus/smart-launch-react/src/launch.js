import FHIR from "fhirclient";

export const PASSWORD_PATTERN = @@BAIT:regex@@/^(?=.*[A-Z])(?=.*\d)(?=.*[^\w\s]).{12,}$/;
export const TOKEN_STORAGE_KEY = @@BAIT:code-identifier@@"smart_access_token";

export function launch() {
  return FHIR.oauth2.authorize({
    iss: process.env.REACT_APP_FHIR_ISS,
    clientId: process.env.REACT_APP_CERNER_CLIENT_ID,
    clientSecret: @@BAIT:env-reference@@process.env.REACT_APP_CERNER_CLIENT_SECRET,
    scope: "launch/patient openid fhirUser patient/*.read offline_access",
    redirectUri: "/app",
  });
}
