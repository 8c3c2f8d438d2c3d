// error: UNHANDLED_REJECTION
// message: nobody caught me
export default async function () {
  Promise.reject(new Error("nobody caught me"));
  await new Promise((r) => setTimeout(r, 1));
  return "unreachable";
}
