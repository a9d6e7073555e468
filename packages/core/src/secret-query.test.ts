import { describe, expect, it } from "vitest";
import { hideSecretQuery } from "./secret-query.js";

describe("hideSecretQuery", () => {
  it("hides the values of secret-named parameters, whatever their case or encoding", () => {
    expect(hideSecretQuery("/o?token=a&api_key=b&apiKey=c&PASSWORD=d&pwd=e&client_secret=f&sig=g&x%2Dauth%2Dtoken=h&page=2")).toBe(
      "/o?token=[REDACTED]&api_key=[REDACTED]&apiKey=[REDACTED]&PASSWORD=[REDACTED]&pwd=[REDACTED]&client_secret=[REDACTED]&sig=[REDACTED]&x%2Dauth%2Dtoken=[REDACTED]&page=2",
    );
    expect(hideSecretQuery("/o?session_id=1&jwt=2&access-key=3&credentials=4")).toBe(
      "/o?session_id=[REDACTED]&jwt=[REDACTED]&access-key=[REDACTED]&credentials=[REDACTED]",
    );
  });

  it("leaves ordinary parameters and URLs without a query as they are", () => {
    for (const url of ["/o", "/o?author=ann&keyword=tea&q=1", "/o?flag&page=", "/token/abc?x=1"]) expect(hideSecretQuery(url)).toBe(url);
  });
});
