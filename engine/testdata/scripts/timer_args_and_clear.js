// want: {"sum":3,"cleared":true}
export default function () {
  return new Promise((resolve) => {
    let cleared = true;
    const id = setTimeout(() => { cleared = false; }, 1);
    clearTimeout(id);
    setTimeout((a, b) => resolve({ sum: a + b, cleared }), 5, 1, 2);
  });
}
