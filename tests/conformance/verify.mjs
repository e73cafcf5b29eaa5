// Verifies a delivery JWT the way a Node receiver would: jose's remote JWKS against the
// verification-jwks endpoint. Prints the payload as JSON; exits 1 (with jose's error code
// on stderr) when the token does not verify.
// Usage: node verify.mjs JWKS_URL ORG_ID TOKEN
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [jwksUrl, orgId, token] = process.argv.slice(2);
if (!jwksUrl || !orgId || !token) {
  console.error('usage: node verify.mjs JWKS_URL ORG_ID TOKEN');
  process.exit(2);
}

const jwks = createRemoteJWKSet(new URL(jwksUrl), {
  headers: { 'SlashID-OrgID': orgId },
  timeoutDuration: 5000,
});
try {
  const { payload } = await jwtVerify(token, jwks, { audience: orgId, algorithms: ['ES256'] });
  console.log(JSON.stringify(payload));
} catch (error) {
  console.error(`${error.code ?? error.name}: ${error.message}`);
  process.exit(1);
}
