/**
 * The token lives in sessionStorage: it is gone when the tab closes, is never put in a URL (where
 * it would reach history, logs and Referer headers), and is readable only by this origin.
 */
const KEY = "darklaunch.token";

export function loadToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}
