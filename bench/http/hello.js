// The benchmark's handler, as Kiln and the reference run it: read ?name=,
// return JSON. workerd.js and deno.js are the same handler in their
// runtimes' shapes.
export default function (req) {
  return { hello: req.query.name ?? 'world' };
}
