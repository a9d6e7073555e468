import type { MouseEvent, ReactNode } from "react";
import { navigate } from "./router.js";

/** An ordinary link (open in a new tab works) that moves inside the app without a reload. */
export function Link({ href, children, current }: { href: string; children: ReactNode; current?: boolean }) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} aria-current={current ? "page" : undefined}>
      {children}
    </a>
  );
}
