export default function () { return ({}).__proto__.constructor.constructor('return 1')(); }
