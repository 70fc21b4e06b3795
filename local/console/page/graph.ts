import { s } from './dom';
import type { Placed, StateGraph, StateMark } from '../state-graph';

/** Draws the graph as SVG; `marks` colours the states an execution went through, `retried` badges the retried ones. */
export function drawGraph(
  graph: StateGraph,
  placed: Placed,
  path: { marks: ReadonlyMap<string, StateMark>; retried: ReadonlyMap<string, number>; transitions: ReadonlySet<string> } = { marks: new Map(), retried: new Map(), transitions: new Set() },
): SVGElement {
  const { marks, retried } = path;
  // dagre's size leaves out edges routed around the nodes: fit the view to everything drawn.
  const xs = [0, placed.width, ...[...placed.edges].flatMap((e) => e.points.map((p) => p.x))];
  const ys = [0, placed.height, ...[...placed.edges].flatMap((e) => e.points.map((p) => p.y))];
  const [minX, minY] = [Math.min(...xs) - 8, Math.min(...ys) - 8];
  const [width, height] = [Math.ceil(Math.max(...xs) + 8 - minX), Math.ceil(Math.max(...ys) + 8 - minY)];
  const svg = s('svg', { viewBox: `${minX} ${minY} ${width} ${height}`, width, height, role: 'img', 'aria-label': 'state machine graph' });
  svg.append(
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
  );
  for (const cluster of graph.clusters) {
    const b = placed.clusters.get(cluster.id)!;
    svg.append(s('g', { class: 'cluster' }, s('rect', { x: b.x, y: b.y, width: b.width, height: b.height, rx: 8 }), s('text', { x: b.x + 8, y: b.y + 15 }, cluster.label)));
  }
  const reached = (id: string) => marks.has(id.replace(/·end$/, ''));
  const stateOf = (id: string) => id.replace(/·end$/, '');
  for (const { edge, points } of placed.edges) {
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    // Into a Parallel's join: taken when its branch's end was reached and the Parallel went on.
    const taken = edge.to.endsWith('·end') ? reached(edge.from) && reached(edge.to) : path.transitions.has(`${stateOf(edge.from)}→${edge.to}`);
    svg.append(s('path', { d, class: `edge ${edge.kind}${taken ? ' taken' : ''}`, 'data-from': edge.from, 'data-to': edge.to, 'marker-end': 'url(#arrow)' }));
  }
  for (const node of graph.nodes) {
    const b = placed.nodes.get(node.id)!;
    const mark = marks.get(node.id.replace(/·end$/, ''));
    const kind = node.type === 'Fail' || node.type === 'Succeed' ? node.type.toLowerCase() : node.type === 'Join' ? 'join' : node.lane;
    const group = s('g', { class: `node ${kind}${mark ? ` mark-${mark}` : ''}`, 'data-state': node.id, 'data-mark': mark ?? 'none' });
    group.append(s('rect', { x: b.x, y: b.y, width: b.width, height: b.height, rx: node.type === 'Choice' ? 17 : 6 }));
    if (node.type !== 'Join') group.append(s('text', { x: b.x + b.width / 2, y: b.y + b.height / 2 + 4, 'text-anchor': 'middle' }, node.name));
    const times = retried.get(node.id);
    if (times) group.append(s('g', { class: 'retry-badge' }, s('circle', { cx: b.x + b.width - 2, cy: b.y + 2, r: 9 }), s('text', { x: b.x + b.width - 2, y: b.y + 6, 'text-anchor': 'middle' }, `↻${times}`)));
    group.append(s('title', {}, `${node.type} ${node.name}${mark ? ` — ${mark}` : ''}${times ? `, retried ${times}×` : ''}`));
    svg.append(group);
  }
  return svg;
}
