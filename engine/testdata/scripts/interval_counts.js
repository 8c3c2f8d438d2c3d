// want: 3
export default function () {
  return new Promise((resolve) => {
    let n = 0;
    const id = setInterval(() => { if (++n === 3) { clearInterval(id); resolve(n); } }, 1);
  });
}
