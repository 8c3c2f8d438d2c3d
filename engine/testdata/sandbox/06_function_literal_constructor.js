export default function () { return (function () {}).constructor('return 1')(); }
