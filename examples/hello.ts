// kiln run examples/hello.ts --input '{"name":"Ada"}'
import { greeting } from "./lib/greet";

interface Input {
  name?: string;
}

// KilnContext comes from the SDK's types (GET /api/sdk/iota.d.ts).
export default async function (input: Input | null, ctx: KilnContext) {
  const name = input?.name ?? "world";
  console.log(`greeting ${name} (${ctx.trigger})`);
  return { greeting: greeting(name) };
}
