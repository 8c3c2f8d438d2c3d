// error: RUNTIME_ERROR
// position: ts_position.ts:8:11
interface Order { id: string; total: number }
type Maybe<T> = T | undefined;
export default function (input: Maybe<Order>): number {
  const order: Order = input ?? { id: "none", total: 0 };
  if (order.total === 0) {
    throw new Error(`order ${order.id} is empty`);
  }
  return order.total;
}
