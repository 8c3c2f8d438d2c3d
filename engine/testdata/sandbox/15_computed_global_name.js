export default function () { const F = globalThis['Fun' + 'ction']; return F('return 1')(); }
