// error: RUNTIME_ERROR
// message: RangeError: from a timer
export default function () {
  return new Promise((resolve) => { setTimeout(() => { throw new RangeError("from a timer"); }, 1); setTimeout(resolve, 50); });
}
