// Verify a webhook's SHA-256 body digest and parse its query string.
// kiln run examples/webhook.js --input '{"url":"https://shop.example/hook?event=order.created&id=42","body":"{\"total\":1999}","digest":"f9c0c47aeec98a58a44be35ac63b20e99fa0cb0a5387f10fcd554e9a2d70f579"}'
export default async function (input) {
  const url = new URL(input.url);
  const bytes = new TextEncoder().encode(input.body);
  const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
  const verified = digest === input.digest;
  if (!verified) console.warn("digest mismatch", { expected: input.digest, actual: digest });
  return {
    event: url.searchParams.get("event"),
    id: Number(url.searchParams.get("id")),
    verified,
    payload: JSON.parse(input.body),
  };
}
