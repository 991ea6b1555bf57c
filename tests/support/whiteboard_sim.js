// The browser's half of tests/support/whiteboard_sim.py: the same generator and steps, run
// against ui/common/whiteboard/model.js. Evaluated by a test as the body of
// `async ({seed, clients, steps}) => ...`; returns each replica's board fingerprint.
const { reconcile } = await import("/ui/common/whiteboard/model.js");
let state = seed >>> 0;
const below = (n) => {
  state = (state + 0x6d2b79f5) >>> 0;
  const a = state;
  let t = Math.imul(a ^ (a >>> 15), 1 | a) >>> 0;
  t = (((t + Math.imul(t ^ (t >>> 7), 61 | t)) >>> 0) ^ t) >>> 0;
  return ((t ^ (t >>> 14)) >>> 0) % n;
};
const liveSorted = (board) =>
  [...board.values()]
    .filter((e) => !e.deleted)
    .sort((a, b) => a.z - b.z || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const boards = Array.from({ length: clients }, () => new Map());
const pending = Array.from({ length: clients }, () => []);
const publish = (origin, element) => {
  boards[origin] = reconcile(boards[origin], [element]).board;
  for (let other = 0; other < clients; other += 1) {
    if (other !== origin) pending[other].push(element);
  }
};
for (let step = 0; step < steps; step += 1) {
  const client = below(clients);
  const action = below(4);
  const shown = liveSorted(boards[client]);
  if (action === 0 || ((action === 1 || action === 2) && shown.length === 0)) {
    publish(client, {
      id: `c${client}s${step}`, kind: "rectangle", version: 1, nonce: below(2 ** 31),
      deleted: false, z: step, color: "#e11d48", width: 2, x: below(1000), y: 0, w: 10, h: 10,
    });
  } else if (action === 1 || action === 2) {
    const current = shown[below(shown.length)];
    const copy = { ...current, version: current.version + 1, nonce: below(2 ** 31) };
    if (action === 1) copy.x = below(1000);
    else copy.deleted = true;
    publish(client, copy);
  } else {
    const count = below(pending[client].length + 1);
    for (let i = 0; i < count; i += 1) {
      const [element] = pending[client].splice(below(pending[client].length), 1);
      boards[client] = reconcile(boards[client], [element]).board;
    }
  }
}
for (let client = 0; client < clients; client += 1) {
  while (pending[client].length) {
    const [element] = pending[client].splice(below(pending[client].length), 1);
    boards[client] = reconcile(boards[client], [element]).board;
  }
}
return boards.map((board) =>
  [...board.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, e]) => [e.id, e.version, e.nonce, e.deleted, e.x]),
);
