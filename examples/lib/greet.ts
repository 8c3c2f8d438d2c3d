// A helper module: scripts may import files from their own folder tree.
export function greeting(name: string): string {
  return `hello ${name}`;
}
