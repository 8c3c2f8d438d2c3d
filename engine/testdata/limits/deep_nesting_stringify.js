// error: RUNTIME_ERROR
// message: RangeError: JSON.stringify: the value is nested more than 1000 levels deep
// timeout: 10s
export default function () {
  let a = [];
  for (let i = 0; i < 50000; i++) a = [a];
  console.log(a);
  return JSON.stringify(a);
}
