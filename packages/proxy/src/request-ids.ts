import { randomUUID } from "node:crypto";

/*
 * Ids the proxy makes per request, without a call to the system's secure random source each time
 * (randomUUID's entropy refills were a few µs per request): a random part drawn once per process,
 * then a counter. Unique within a process, and across processes by their random part; nothing
 * about them needs to be unguessable.
 */

/** `xxxxxxxx-xxxx-4xxx-yxxx-` from one random UUID: the version and variant bits are kept. */
const ID_PREFIX = randomUUID().slice(0, 24);
let idCount = 0;

/** A fresh request id, shaped like a UUID: the process's random part and a 48-bit counter. */
export function newRequestId(): string {
  idCount = idCount === 0xffffffffffff ? 1 : idCount + 1;
  return ID_PREFIX + idCount.toString(16).padStart(12, "0");
}

const ANONYMOUS_PREFIX = `anon-${randomUUID().slice(0, 8)}-`;
let anonymousCount = 0;

/**
 * The subject of a request that carries none: a fresh one per request, so the flag's percentage
 * still holds for traffic (the flag's hash spreads consecutive ids like random ones).
 */
export function anonymousSubject(): string {
  anonymousCount = anonymousCount === Number.MAX_SAFE_INTEGER ? 1 : anonymousCount + 1;
  return ANONYMOUS_PREFIX + anonymousCount;
}
