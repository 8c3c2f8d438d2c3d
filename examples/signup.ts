// Sign a user up with the iota SDK: iota.db and iota.cache keep their data in
// ./.kiln between runs, iota.secrets.get reads --secret, and the published
// event runs examples/on_user_created.ts.
// kiln run examples/signup.ts --input '{"email":"ada@example.com"}' --secret WELCOME_SIGNING_KEY=dev-only-key --on 'user.created=examples/on_user_created.ts'
interface Input {
  email: string;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export default async function (input: Input, ctx: KilnContext) {
  if (!input?.email) {
    throw new Error("pass an email, as in --input '{\"email\":\"ada@example.com\"}'");
  }
  const existing = await iota.db.query("users", { where: { email: input.email }, limit: 1 });
  const user = existing[0] ?? (await iota.db.insert("users", { email: input.email, active: true }));
  const signups = await iota.cache.increment("signups");
  const key = await iota.secrets.get("WELCOME_SIGNING_KEY");
  const token = (await sha256Hex(key + ":" + user.id)).slice(0, 16);
  if (existing.length === 0) {
    await iota.events.publish("user.created", { id: user.id, email: input.email });
  }
  iota.log.info("signed up", { id: user.id, isNew: existing.length === 0, trigger: ctx.trigger });
  return { id: user.id, isNew: existing.length === 0, signups, welcomeToken: token };
}
