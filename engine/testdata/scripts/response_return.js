// want: {"status":201,"headers":[["content-type","text/plain;charset=UTF-8"],["x-kiln","1"]],"body":"created"}
export default function () {
  return new Response("created", { status: 201, headers: { "X-Kiln": "1" } });
}
