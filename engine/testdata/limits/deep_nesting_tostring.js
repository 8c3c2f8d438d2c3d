// error: RUNTIME_ERROR
// message: nested more than 1000 levels deep
// timeout: 10s
export default function () {
  let a = [];
  for (let i = 0; i < 50000; i++) a = [a];
  return String(a);
}
