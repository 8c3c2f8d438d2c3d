// want: [false,-1,-1,0]
// On an empty array includes, indexOf and lastIndexOf answer before they
// convert fromIndex (test262's length-zero-returns-*): its valueOf never runs.
export default function () {
  let calls = 0;
  const from = { valueOf() { calls++; return 0; } };
  return [[].includes(1, from), [].indexOf(1, from), [].lastIndexOf(1, from), calls];
}
