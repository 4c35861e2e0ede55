// A browser-compatible EventSource (the npm `eventsource` package, WHATWG-compliant) following
// an execution's /logs/stream. It reconnects by itself with Last-Event-ID after each short
// response and stops when the server answers 204. Prints {events, opens, stoppedBy} as JSON.
// Usage: node eventsource_follow.mjs URL TOKEN MAX_SECONDS
import { EventSource } from "eventsource";

const [url, token, maxSeconds] = process.argv.slice(2);
const events = [];
let opens = 0;

const source = new EventSource(url, {
  fetch: (input, init) =>
    fetch(input, { ...init, headers: { ...init.headers, Authorization: `Bearer ${token}` } }),
});

const finish = (stoppedBy) => {
  source.close();
  // Exit only once the (large) output is flushed.
  process.stdout.write(JSON.stringify({ events, opens, stoppedBy }), () => process.exit(0));
};

source.onopen = () => {
  opens += 1;
};
source.onmessage = (event) => {
  events.push({ id: event.lastEventId, data: JSON.parse(event.data) });
};
source.onerror = (err) => {
  // A 204 closes the source for good; anything else is a reconnect that the library retries.
  if (source.readyState === EventSource.CLOSED) finish(err.code === 204 ? "204" : `closed ${err.code}`);
};
setTimeout(() => finish("timeout"), Number(maxSeconds) * 1000);
