export default function () { return new Promise((resolve) => setTimeout(() => { try { resolve(Function('return 1')()); } catch (e) { resolve('escaped'); } }, 0)); }
