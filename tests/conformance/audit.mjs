// Runs graphql-http's GraphQL-over-HTTP server audits against URL and prints every result as
// JSON: [{id, name, status, reason}]. Exits 0 whatever the audits say; the caller asserts.
// Usage: node audit.mjs URL [HEADERS_JSON]   (HEADERS_JSON is added to every request)
import { auditServer } from 'graphql-http';

const [url, headersJson] = process.argv.slice(2);
if (!url) {
  console.error('usage: node audit.mjs URL [HEADERS_JSON]');
  process.exit(2);
}
const extraHeaders = headersJson ? JSON.parse(headersJson) : {};

async function fetchWithHeaders(input, init = {}) {
  const headers = new Headers(init.headers);
  for (const [name, value] of Object.entries(extraHeaders)) headers.set(name, value);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn: fetchWithHeaders });
const summary = await Promise.all(
  results.map(async ({ id, name, status, reason, response }) => {
    const result = { id, name, status, reason: reason ?? null };
    if (status !== 'ok' && response) {
      const body = await response.text().catch(() => '');
      result.response = {
        status: response.status,
        contentType: response.headers.get('content-type'),
        body: body.slice(0, 300),
      };
    }
    return result;
  }),
);
console.log(JSON.stringify(summary));
