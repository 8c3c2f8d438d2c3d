export default function () { return [].map.constructor('return 1')(); }
