// An event script: signup.ts's --on runs it for each user.created event, and
// so can --trigger event on its own.
// kiln run examples/on_user_created.ts --trigger event --event-type user.created --input '{"id":"u1","email":"ada@example.com"}'
export default async function (event: EventInput<{ id: string; email: string }>, ctx: KilnContext) {
  await iota.cache.set("welcome:" + event.payload.id, { to: event.payload.email, at: event.occurredAt }, 24 * 3600);
  iota.log.info("welcome mail queued", { to: event.payload.email, event: event.id, trigger: ctx.trigger });
  return { queued: event.payload.id };
}
