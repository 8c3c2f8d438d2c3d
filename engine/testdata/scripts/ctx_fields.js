// want: {"trigger":"","attempt":1,"hasExecution":true}
export default function (input, ctx) { return { trigger: ctx.trigger, attempt: ctx.attempt, hasExecution: "executionId" in ctx }; }
