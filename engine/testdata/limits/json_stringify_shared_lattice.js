// error: MEMORY_LIMIT
// message: JSON.stringify
export default function () {
  let lattice = { v: 1 };
  for (let i = 0; i < 40; i++) lattice = { l: lattice, r: lattice };
  return JSON.stringify(lattice).length;
}
