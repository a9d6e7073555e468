import { z } from "zod";

/** Token scopes. `admin` can do everything (tokens included); `write` ⊃ `read`; `sdk` only SDK and OFREP. */
export const TOKEN_SCOPES = ["admin", "write", "read", "sdk"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** `POST /api/v1/tokens`. */
export const TokenCreateRequestSchema = z.strictObject({
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  scope: z.enum(TOKEN_SCOPES),
});
export type TokenCreateRequest = z.input<typeof TokenCreateRequestSchema>;

export const TokenIdParams = z.strictObject({ id: z.string().min(1).max(200) });

/** A token as listed: never its secret or hash. */
export const TokenInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(TOKEN_SCOPES),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type TokenInfo = z.output<typeof TokenInfoSchema>;

export const TokenListResponse = z.object({ tokens: z.array(TokenInfoSchema) });
export type TokenListResponse = z.output<typeof TokenListResponse>;

/** The answer to a create: the secret is in this response only. */
export const TokenCreatedSchema = z.object({ token: TokenInfoSchema, secret: z.string() });
export type TokenCreated = z.output<typeof TokenCreatedSchema>;

export const TokenRevokedSchema = z.object({ token: TokenInfoSchema });
export type TokenRevoked = z.output<typeof TokenRevokedSchema>;

/** `GET /api/v1/whoami`: the calling token's name and scope (what a UI may offer it). */
export const WhoAmIResponse = z.object({ name: z.string(), scope: z.enum(TOKEN_SCOPES) });
export type WhoAmIResponse = z.output<typeof WhoAmIResponse>;
