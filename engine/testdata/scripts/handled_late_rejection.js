// want: "caught"
export default async function () {
  const p = Promise.reject(new Error("x"));
  try { await p; } catch { return "caught"; }
}
