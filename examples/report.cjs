// A CommonJS script: summarize orders into a nightly report.
// kiln run examples/report.cjs --input '{"orders":[{"region":"eu","total":120},{"region":"us","total":80},{"region":"eu","total":30}]}'
function summarize(orders) {
  const byRegion = new Map();
  for (const { region, total } of orders) {
    byRegion.set(region, (byRegion.get(region) ?? 0) + total);
  }
  return Object.fromEntries([...byRegion].sort(([a], [b]) => a.localeCompare(b)));
}

module.exports = function handler(input) {
  const orders = input?.orders ?? [];
  return { count: orders.length, byRegion: summarize(orders), generatedBy: "report.cjs" };
};
