// Async control flow: retry an unreliable step with exponential backoff,
// using timers and promises as in any JS runtime.
// kiln run examples/retry.mjs --input '{"failures":2}'
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function (input, ctx) {
  let attempts = 0;
  const unreliable = async () => {
    attempts++;
    if (attempts <= (input?.failures ?? 0)) throw new Error(`attempt ${attempts} failed`);
    return "ok";
  };
  for (let delay = 10; ; delay *= 2) {
    try {
      const result = await unreliable();
      return { result, attempts, trigger: ctx.trigger };
    } catch (err) {
      if (attempts >= 5) throw err;
      console.info(`${err.message}; retrying in ${delay}ms`);
      await sleep(delay);
    }
  }
}
