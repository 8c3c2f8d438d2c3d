const port = Number(Deno.args[0]);
Deno.serve({ hostname: '127.0.0.1', port, onListen() {} }, (request) => {
  const name = new URL(request.url).searchParams.get('name') ?? 'world';
  return Response.json({ hello: name });
});
