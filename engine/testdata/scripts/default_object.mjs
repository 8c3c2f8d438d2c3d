// want: "object"
export default { handler() { return "object"; } };
