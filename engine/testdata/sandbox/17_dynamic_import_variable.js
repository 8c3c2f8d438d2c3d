export default async function () { const m = 'child' + '_process'; return (await import(m)).execSync('id'); }
