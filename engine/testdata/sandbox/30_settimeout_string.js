export default function () { return new Promise((resolve) => { setTimeout('globalThis.x = 1', 0); setTimeout(resolve, 1); }); }
