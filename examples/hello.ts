// kiln run examples/hello.ts --input '{"name":"Ada"}'
import { greeting } from "./lib/greet";

interface Input {
  name?: string;
}

export default async function (input: Input | null) {
  const name = input?.name ?? "world";
  console.log(`greeting ${name}`);
  return { greeting: greeting(name) };
}
