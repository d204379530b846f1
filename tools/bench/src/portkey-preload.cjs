// Preload for Portkey gateway 1.15.2 on Node 20 (`node -r ./portkey-preload.cjs start-server.js`):
// Node 20's fetch returns a Response whose Headers are immutable, and Portkey updates them on every
// streamed reply (TypeError: immutable → HTTP 500). Re-wrapping each Response with a mutable copy of
// its headers fixes streaming without touching Portkey's code.
'use strict';
const originalFetch = globalThis.fetch;
globalThis.fetch = async function fetchWithMutableHeaders(input, init) {
  const response = await originalFetch(input, init);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: new Headers(response.headers) });
};
