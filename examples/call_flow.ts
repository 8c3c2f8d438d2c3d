// A call-control style script: the entry point is named Main.
// kiln run examples/call_flow.ts --input '{"caller":"+4930123","hour":22}'
type Call = { caller: string; hour: number };

export function Main(call: Call) {
  const open = call.hour >= 8 && call.hour < 18;
  const steps = open
    ? [{ say: "Connecting you now" }, { dial: "sales-queue" }]
    : [{ say: "We are closed. Please leave a message." }, { record: { maxSeconds: 120 } }];
  return { caller: call.caller, open, steps };
}
