package web

import "testing"

func TestDOMException(t *testing.T) {
	runCases(t, Host{}, []jsCase{
		{"defaults", `const e = new DOMException(); [e.name, e.message === "", e.code].join()`, "Error,true,0"},
		{"message and name", `const e = new DOMException("m", "AbortError"); [e.name, e.message, e.code].join()`, "AbortError,m,20"},
		{"legacy codes", `["IndexSizeError", "InvalidCharacterError", "NotSupportedError", "SyntaxError", "QuotaExceededError",
			"AbortError", "TimeoutError", "DataCloneError", "EncodingError", "OperationError"].map(n => new DOMException("", n).code).join()`,
			"1,5,9,12,22,20,23,25,0,0"},
		// WebIDL's error names table has no name for codes 2, 6 and 16:
		// their constants stay, but these historical names are code 0.
		{"historical names have no code", `["DOMStringSizeError", "NoDataAllowedError", "ValidationError"].map(n => new DOMException("", n).code).join()
			+ " " + [DOMException.DOMSTRING_SIZE_ERR, DOMException.NO_DATA_ALLOWED_ERR, DOMException.VALIDATION_ERR].join()`, "0,0,0 2,6,16"},
		{"constants", `[DOMException.ABORT_ERR, DOMException.prototype.DATA_CLONE_ERR, DOMException.INVALID_CHARACTER_ERR,
			DOMException.TIMEOUT_ERR, new DOMException().NOT_SUPPORTED_ERR].join()`, "20,25,5,23,9"},
		{"constants are read-only", `DOMException.ABORT_ERR = 1; DOMException.ABORT_ERR`, "20"},
		{"is an Error", `const e = new DOMException("m"); [e instanceof DOMException, e instanceof Error,
			Object.getPrototypeOf(DOMException.prototype) === Error.prototype].join()`, "true,true,true"},
		{"toString", `String(new DOMException("went wrong", "NotFoundError"))`, "NotFoundError: went wrong"},
		{"toStringTag", `Object.prototype.toString.call(new DOMException())`, "[object DOMException]"},
		{"has a stack", `typeof new DOMException("x").stack`, "string"},
		{"stack starts with name and message", `new DOMException("went wrong", "AbortError").stack.split("\n")[0]`, "AbortError: went wrong"},
		{"no own properties but stack", `Object.getOwnPropertyNames(new DOMException("m", "AbortError")).join()`, "stack"},
		{"getters on the prototype", `Object.keys(DOMException.prototype).slice(0, 3).join()`, "name,message,code"},
		{"getters check the receiver", `[thrown(() => DOMException.prototype.name), thrown(() => Object.getOwnPropertyDescriptor(DOMException.prototype, "code").get.call(new Error()))].join()`,
			"TypeError,TypeError"},
		{"options form", `const e = new DOMException("m", {name: "AbortError", cause: 42}); [e.name, e.code, e.cause].join()`, "AbortError,20,42"},
		{"options without name", `new DOMException("m", {}).name`, "Error"},
		{"name is converted to string", `new DOMException("m", null).name + new DOMException(1, 2).message`, "null1"},
		{"symbol message", `thrown(() => new DOMException(Symbol()))`, "TypeError"},
		{"subclass", `class E extends DOMException { constructor() { super("sub", "SyntaxError"); this.extra = 1; } }
			const e = new E(); [e instanceof E, e instanceof DOMException, e.name, e.code, e.extra].join()`, "true,true,SyntaxError,12,1"},
		{"thrown by the platform", `try { atob("!") } catch (e) { e.constructor === DOMException }`, "true"},
		{"platform errors keep working after the global is replaced", `DOMException = null; try { atob("!") } catch (e) { e.name }`,
			"InvalidCharacterError"},
	})
}
