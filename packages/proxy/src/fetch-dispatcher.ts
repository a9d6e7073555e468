/*
 * Imported first by the package's entry points (index.ts, proxy-worker.ts), before anything loads
 * undici: it loads Node's own fetch, which then keeps its own dispatcher.
 *
 * Why: undici, when it loads first, makes itself the dispatcher of Node's global fetch, and the
 * SDK client posts its observations (every 10 s) and telemetry (every minute) with fetch. fetch
 * sends a body as a new async generator each time, an object of a shape undici's request writer
 * has never seen; that writer is the one every proxied request runs through, so each post threw
 * its optimized code away (a deopt, then a recompile). At full speed that is a few ms of CPU per
 * post; under `bench:proxy`'s instruction count, where the proxy runs ~50× slower and a post
 * falls on every few thousand requests, it was about 10 000 of 169 000 instructions per request.
 * With Node's fetch on its own undici copy the two never share code. Nothing breaks if undici was
 * loaded earlier (a library user's import): the posts then share the writer again, as before.
 */
void globalThis.Headers;
