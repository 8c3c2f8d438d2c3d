// error: RUNTIME_ERROR
// message: listener failed
export default function () {
  const ac = new AbortController();
  ac.signal.addEventListener("abort", () => { throw new Error("listener failed"); });
  ac.abort();
  return "continued";
}
