export default {
  fetch(request) {
    const name = new URL(request.url).searchParams.get('name') ?? 'world';
    return Response.json({ hello: name });
  },
};
