// want: [0,"TypeError","TypeError"]
// A global match resets lastIndex before it reads exec (an exec getter
// that throws finds it reset), and replaceAll with a RegExp whose flags
// are undefined or lack g throws after reading them once.
export default function () {
  const r = /a/g;
  r.lastIndex = 3;
  Object.defineProperty(r, 'exec', { get() { throw new Error('exec'); } });
  try { r[Symbol.match]('aaa'); } catch (e) { /* expected */ }
  let reads = 0;
  const noFlags = /a/g;
  Object.defineProperty(noFlags, 'flags', { get() { reads++; return undefined; } });
  let e1 = 'nothing', e2 = 'nothing';
  try { 'aaa'.replaceAll(noFlags, 'b'); } catch (e) { e1 = e.name; }
  try { 'aaa'.replaceAll(/a/, 'b'); } catch (e) { e2 = e.name; }
  return [r.lastIndex, reads === 1 ? e1 : 'read ' + reads, e2];
}
