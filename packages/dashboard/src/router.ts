import { useEffect, useState } from "react";

/** The app's pages, one per path (the server answers index.html for all of them). */
export type Route =
  | { page: "launches" }
  | { page: "audit" }
  | { page: "flag"; key: string; tab: "signals" | "diffs" | "check" | "audit" }
  | { page: "missing"; path: string };

export function parseRoute(pathname: string): Route {
  if (pathname === "/" || pathname === "") return { page: "launches" };
  if (pathname === "/audit") return { page: "audit" };
  const flag = /^\/flags\/([^/]+)(?:\/(diffs|check|audit))?\/?$/.exec(pathname);
  if (flag)
    return { page: "flag", key: decodeURIComponent(flag[1]!), tab: (flag[2] as "diffs" | "check" | "audit" | undefined) ?? "signals" };
  return { page: "missing", path: pathname };
}

export function flagHref(key: string, tab: "signals" | "diffs" | "check" | "audit" = "signals"): string {
  return `/flags/${encodeURIComponent(key)}${tab === "signals" ? "" : `/${tab}`}`;
}

export function navigate(href: string): void {
  history.pushState(null, "", href);
  dispatchEvent(new PopStateEvent("popstate"));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname));
    addEventListener("popstate", update);
    return () => removeEventListener("popstate", update);
  }, []);
  return route;
}
