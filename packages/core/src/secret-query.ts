import { REDACTED } from "./difference.js";

/**
 * Query parameter names that carry secrets by their name alone: `token`, `access_token`,
 * `api_key`, `apiKey`, `password`, `client_secret`, `signature`, `X-Auth-Token`, `session_id`…
 * (`author` and `keyword` are not secrets).
 */
const SECRET_NAME = /token|secret|passw(?:or)?d|^pwd$|api[-_.]?key|(?:^|[-_.])key$|auth(?!or)|signature|^sig$|session|credential|jwt/i;

/**
 * `/path?query` with the values of secret-named query parameters replaced by REDACTED, before
 * the route's own redaction runs: a sample must not carry `?token=…` even when nobody listed it.
 *
 * @example
 * hideSecretQuery("/orders?api_key=k3y&page=2"); // "/orders?api_key=[REDACTED]&page=2"
 */
export function hideSecretQuery(url: string): string {
  const q = url.indexOf("?");
  if (q === -1) return url;
  const hash = url.indexOf("#", q);
  const query = hash === -1 ? url.slice(q + 1) : url.slice(q + 1, hash);
  const pairs = query.split("&");
  let changed = false;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i] as string;
    const eq = pair.indexOf("=");
    if (eq === -1) continue;
    const name = pair.slice(0, eq);
    if (SECRET_NAME.test(decodeName(name))) {
      pairs[i] = `${name}=${REDACTED}`;
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${pairs.join("&")}` : url;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}
