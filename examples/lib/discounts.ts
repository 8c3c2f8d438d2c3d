// Volume tiers: 10+ units 5% off, 50+ units 12% off.
export function volumeDiscount(qty: number, gross: number): number {
  const rate = qty >= 50 ? 0.12 : qty >= 10 ? 0.05 : 0;
  return Math.round(gross * rate);
}

const coupons: Record<string, number> = { SAVE10: 0.1, WELCOME5: 0.05 };

export function applyCoupon(cents: number, code?: string): number {
  if (!code) return cents;
  const rate = coupons[code.toUpperCase()];
  if (rate === undefined) throw new RangeError(`unknown coupon ${code}`);
  return Math.round(cents * (1 - rate));
}
