export default function () { return Reflect.apply(Function, null, ['return 1'])(); }
