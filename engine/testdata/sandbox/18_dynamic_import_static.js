export default async function () { const fs = await import('fs'); return fs.readFileSync('/etc/passwd'); }
