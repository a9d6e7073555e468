import type { TokenScope } from "@darklaunch/core";
import { createContext, useContext } from "react";
import type { Api } from "./api.js";

/** The signed-in token: the API client and what it may do. */
export interface Session {
  api: Api;
  name: string;
  scope: TokenScope;
  /** write and admin tokens may act; read tokens only look. */
  canWrite: boolean;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error("useSession outside a signed-in page");
  return session;
}
