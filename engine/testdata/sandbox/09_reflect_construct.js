export default function () { return Reflect.construct(Function, ['return 1'])(); }
