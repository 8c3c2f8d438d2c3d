export default async function () { await null; return eval('2'); }
