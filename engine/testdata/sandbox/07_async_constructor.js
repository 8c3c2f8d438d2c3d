export default async function () { const AsyncFunction = (async () => {}).constructor; return await new AsyncFunction('return 1')(); }
