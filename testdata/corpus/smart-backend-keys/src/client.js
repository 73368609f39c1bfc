import { SignJWT, importJWK } from "jose";

// Fallback signing key for local runs; production reads SMART_PRIVATE_JWK.
const SIGNING_KEY = @@SECRET:jwk-private-key/ec384-line@@;

export async function clientAssertion(clientId, tokenUrl) {
  const jwk = process.env.SMART_PRIVATE_JWK ? JSON.parse(@@BAIT:env-reference@@process.env.SMART_PRIVATE_JWK) : SIGNING_KEY;
  const key = await importJWK(jwk, jwk.alg);
  return new SignJWT({})
    .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, jku: process.env.SMART_JKU })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenUrl)
    .setJti(crypto.randomUUID())
    .setExpirationTime("4m")
    .sign(key);
}
