// want: {"process":"undefined","Deno":"undefined","Bun":"undefined","module":"undefined","exports":"undefined","__dirname":"undefined","Buffer":"undefined","WebAssembly":"undefined","setImmediate":"undefined","global":"undefined","fetch":"function"}
export default function () {
  return {
    process: typeof process, Deno: typeof Deno, Bun: typeof Bun, module: typeof globalThis.module,
    exports: typeof globalThis.exports, __dirname: typeof __dirname, Buffer: typeof Buffer,
    WebAssembly: typeof WebAssembly, setImmediate: typeof setImmediate, global: typeof global,
    // fetch is always defined; without Config.Fetch it rejects with NOT_SUPPORTED.
    fetch: typeof fetch,
  };
}
