// error: RUNTIME_ERROR
// message: Error: async failure
// position: rejected_handler.js:6:9
export default async function () {
  await null;
  throw new Error("async failure");
}
