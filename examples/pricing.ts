// A pricing rule: volume discounts and a coupon, in integer cents.
// kiln run examples/pricing.ts --input '{"items":[{"sku":"A","cents":1250,"qty":12}],"coupon":"SAVE10"}'
import { applyCoupon, volumeDiscount } from "./lib/discounts";

type Item = { sku: string; cents: number; qty: number };
type Input = { items: Item[]; coupon?: string };

export function handler(input: Input) {
  if (!Array.isArray(input?.items)) {
    throw new TypeError("input.items must be an array of { sku, cents, qty }");
  }
  const lines = input.items.map((item) => {
    const gross = item.cents * item.qty;
    const discount = volumeDiscount(item.qty, gross);
    return { sku: item.sku, gross, discount, net: gross - discount };
  });
  const subtotal = lines.reduce((sum, l) => sum + l.net, 0);
  const total = applyCoupon(subtotal, input.coupon);
  return { lines, subtotal, total };
}
