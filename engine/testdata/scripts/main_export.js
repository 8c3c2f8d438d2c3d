// want: "main"
export function Main() { return "main"; }
