// typeof require is "undefined", as DESIGN.md says: a UMD bundle that
// probes for CommonJS's require takes its plain-script path instead of
// calling a require that would stop the run.
// want: ["undefined",false,"plain script",true]
const lib = (function (root, factory) {
  if (typeof require === 'function') {
    try {
      const name = 'crypto';
      return factory(require(name));
    } catch (e) {
      return factory(null);
    }
  }
  return factory(undefined);
})(globalThis, (dep) => (dep === undefined ? 'plain script' : 'probed require'));

export default () => {
  let missing = false;
  try {
    const name = ['f', 's'].join('');
    require(name);
  } catch (e) {
    missing = e instanceof ReferenceError;
  }
  return [typeof require, 'require' in globalThis, lib, missing];
};
