/** One line of a cart: a product, its unit price in cents and how many. */
export interface CartLine {
  sku: string;
  unitCents: number;
  quantity: number;
}

/** What a price function answers; compared field by field by `experiment()`. */
export interface Quote {
  subtotalCents: number;
  taxCents: number;
  totalCents: number;
}

/** The sales tax rate both price functions apply. */
export const TAX_RATE = 0.21;

/** The price function in production today: tax on the cart's subtotal, rounded once. */
export function legacyPrice(lines: readonly CartLine[]): Quote {
  const subtotalCents = lines.reduce((sum, line) => sum + line.unitCents * line.quantity, 0);
  const taxCents = Math.round(subtotalCents * TAX_RATE);
  return { subtotalCents, taxCents, totalCents: subtotalCents + taxCents };
}

/**
 * The rewrite being dark-launched: tax per line, each rounded. On most carts it agrees with the
 * legacy function; on carts whose per-line roundings add up differently it is a cent off — the
 * kind of difference `experiment()` finds before any customer sees it.
 */
export function newPrice(lines: readonly CartLine[]): Quote {
  let subtotalCents = 0;
  let taxCents = 0;
  for (const line of lines) {
    const lineCents = line.unitCents * line.quantity;
    subtotalCents += lineCents;
    taxCents += Math.round(lineCents * TAX_RATE);
  }
  return { subtotalCents, taxCents, totalCents: subtotalCents + taxCents };
}
