// want: "handler"
export function handler() { return "handler"; }
