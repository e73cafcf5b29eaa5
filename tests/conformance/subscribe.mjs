// A graphql-ws client subscribed to deliveryOutcomes. Prints READY once the subscription is
// on its way (graphql-ws has no server ack for subscribe), then each outcome as a JSON line;
// exits 0 after COUNT outcomes, 1 on an error or after TIMEOUT_MS.
// Usage: node subscribe.mjs WS_URL API_KEY COUNT [TIMEOUT_MS]
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, apiKey, countArg, timeoutArg] = process.argv.slice(2);
if (!url || !apiKey || !countArg) {
  console.error('usage: node subscribe.mjs WS_URL API_KEY COUNT [TIMEOUT_MS]');
  process.exit(2);
}
const count = Number(countArg);
const timeoutMs = Number(timeoutArg ?? 20000);
// Long enough for the server to register the subscriber after the subscribe message.
const READY_DELAY_MS = 250;

const SUBSCRIPTION = `subscription {
  deliveryOutcomes { eventId outcome statusCode triggerName }
}`;

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${apiKey}` },
  retryAttempts: 0,
});

function fail(message) {
  console.error(message);
  client.dispose();
  process.exit(1);
}

setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs).unref();
client.on('connected', () => setTimeout(() => console.log('READY'), READY_DELAY_MS));
client.on('closed', (event) => {
  if (received < count) fail(`socket closed (${event?.code} ${event?.reason ?? ''})`);
});

let received = 0;
const unsubscribe = client.subscribe(
  { query: SUBSCRIPTION },
  {
    next(result) {
      if (result.errors) fail(`subscription errors: ${JSON.stringify(result.errors)}`);
      console.log(JSON.stringify(result.data.deliveryOutcomes));
      received += 1;
      if (received >= count) {
        unsubscribe();
        client.dispose();
        process.exit(0);
      }
    },
    error(error) {
      fail(`subscription failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
    },
    complete() {
      if (received < count) fail(`subscription completed after ${received} of ${count}`);
    },
  },
);
