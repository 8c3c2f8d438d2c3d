export default function () { return Function.prototype.constructor.apply(null, ['return 1'])(); }
