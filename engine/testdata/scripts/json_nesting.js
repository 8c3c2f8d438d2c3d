// want: [true,"{\"x\":[1,{\"y\":2}]}",1001]
export default function () {
  const shared = { v: 1 }; let lattice = shared;
  for (let i = 0; i < 10; i++) lattice = { l: lattice, r: lattice };
  let ok = 1000; let d = [];
  for (let i = 0; i < 999; i++) d = [d];
  JSON.stringify(d);
  let deep = [d];
  try { JSON.stringify([deep]); } catch (e) { ok = 1001; }
  return [JSON.stringify(lattice).length > 0, JSON.stringify({ x: [1, { y: 2 }] }), ok];
}
