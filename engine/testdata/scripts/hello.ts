// input: {"name":"Ada"}
// want: {"greeting":"hello Ada"}
export default async function (input: { name: string }) {
  return { greeting: `hello ${input.name}` };
}
