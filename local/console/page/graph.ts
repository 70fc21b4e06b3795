import { graphlib, layout } from '@dagrejs/dagre';
import { s } from './dom';

/**
 * The state machine as a graph, from any ASL definition: a node per state, `Next`/`Choices`/`Default` edges, `Catch`
 * edges, and `Parallel` and `Map` states as clusters holding their branches. Laid out by dagre.
 */

interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: readonly { readonly Next?: string }[];
  readonly Catch?: readonly { readonly Next: string; readonly ErrorEquals?: readonly string[] }[];
  readonly Retry?: readonly unknown[];
  readonly Branches?: readonly AslMachine[];
  readonly ItemProcessor?: AslMachine;
  readonly Iterator?: AslMachine;
}

export interface AslMachine {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

/** Where a state lies: on the forward path (reached without a Catch) or only after a failure was caught. */
export type Lane = 'forward' | 'failure';

export interface GraphNode {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly lane: Lane;
  /** The cluster holding it, if any. */
  readonly parent?: string;
  readonly retries: boolean;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'next' | 'catch';
  readonly label?: string;
}

export interface GraphCluster {
  readonly id: string;
  readonly label: string;
  readonly parent?: string;
}

export interface StateGraph {
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
  readonly clusters: GraphCluster[];
}

const END = (id: string) => `${id}·end`;

/** Builds the graph of a definition; state names are unique in a state machine, so they are the node ids. */
export function stateGraph(definition: AslMachine): StateGraph {
  const graph: StateGraph = { nodes: [], edges: [], clusters: [] };
  addMachine(graph, definition, undefined);
  return graph;
}

/** Adds a machine's (or a branch's) states; answers its start and the states that end it. */
function addMachine(graph: StateGraph, machine: AslMachine, parent: string | undefined): { start: string; ends: string[] } {
  const forward = new Set<string>();
  const queue = [machine.StartAt];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (forward.has(name) || !machine.States[name]) continue;
    forward.add(name);
    const state = machine.States[name];
    queue.push(...[state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next)].filter((n): n is string => typeof n === 'string'));
  }
  const ends: string[] = [];
  for (const [name, state] of Object.entries(machine.States)) {
    const lane: Lane = forward.has(name) ? 'forward' : 'failure';
    let exit = name;
    const inner = state.Type === 'Parallel' ? state.Branches ?? [] : state.Type === 'Map' ? [state.ItemProcessor ?? state.Iterator].filter((m): m is AslMachine => !!m) : [];
    if (inner.length > 0) {
      const cluster = `${name}·cluster`;
      graph.clusters.push({ id: cluster, label: `${state.Type} ${name}`, parent });
      graph.nodes.push({ id: name, name, type: state.Type, lane, parent: cluster, retries: !!state.Retry?.length });
      exit = END(name);
      graph.nodes.push({ id: exit, name: `${name} done`, type: 'Join', lane, parent: cluster, retries: false });
      inner.forEach((branch, index) => {
        const branchCluster = `${name}·branch${index}`;
        graph.clusters.push({ id: branchCluster, label: state.Type === 'Map' ? 'each item' : `branch ${index + 1}`, parent: cluster });
        const { start, ends: branchEnds } = addMachine(graph, branch, branchCluster);
        graph.edges.push({ from: name, to: start, kind: 'next' });
        for (const end of branchEnds) graph.edges.push({ from: end, to: exit, kind: 'next' });
      });
    } else {
      graph.nodes.push({ id: name, name, type: state.Type, lane, parent, retries: !!state.Retry?.length });
    }
    const targets: [string | undefined, string | undefined][] = [[state.Next, undefined], [state.Default, 'default'], ...(state.Choices ?? []).map((c): [string | undefined, string | undefined] => [c.Next, undefined])];
    for (const [to, label] of targets) if (to) graph.edges.push({ from: exit, to, kind: 'next', label });
    for (const c of state.Catch ?? []) graph.edges.push({ from: exit, to: c.Next, kind: 'catch', label: (c.ErrorEquals ?? []).join(', ') });
    if (state.End || state.Type === 'Succeed' || state.Type === 'Fail') ends.push(exit);
  }
  return { start: machine.StartAt, ends };
}

export interface Placed {
  readonly width: number;
  readonly height: number;
  readonly nodes: Map<string, { x: number; y: number; width: number; height: number }>;
  readonly clusters: Map<string, { x: number; y: number; width: number; height: number }>;
  readonly edges: { edge: GraphEdge; points: { x: number; y: number }[] }[];
}

/** Lays the graph out, top to bottom. */
export function place(graph: StateGraph): Placed {
  const g = new graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 36, edgesep: 12, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const cluster of graph.clusters) g.setNode(cluster.id, { label: cluster.label, paddingTop: 24 });
  for (const cluster of graph.clusters) if (cluster.parent) g.setParent(cluster.id, cluster.parent);
  for (const node of graph.nodes) {
    const join = node.type === 'Join';
    g.setNode(node.id, { width: join ? 90 : Math.max(110, node.name.length * 7.4 + 26), height: join ? 18 : 34 });
    if (node.parent) g.setParent(node.id, node.parent);
  }
  graph.edges.forEach((edge, index) => g.setEdge(edge.from, edge.to, { weight: edge.kind === 'next' ? 2 : 1, minlen: 1 }, String(index)));
  layout(g);
  const box = (id: string) => {
    const n = g.node(id) as { x: number; y: number; width: number; height: number };
    return { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height };
  };
  const label = g.graph() as { width?: number; height?: number };
  return {
    width: label.width ?? 0,
    height: label.height ?? 0,
    nodes: new Map(graph.nodes.map((n) => [n.id, box(n.id)])),
    clusters: new Map(graph.clusters.map((c) => [c.id, box(c.id)])),
    edges: graph.edges.map((edge, index) => ({ edge, points: (g.edge(edge.from, edge.to, String(index)) as { points: { x: number; y: number }[] }).points })),
  };
}

/** How a state fared in an execution (absent: not reached). */
export type StateMark = 'succeeded' | 'failed' | 'caught' | 'running' | 'compensating';

/** Draws the graph as SVG; `marks` colours the states an execution went through, `retried` badges the retried ones. */
export function drawGraph(graph: StateGraph, placed: Placed, marks: ReadonlyMap<string, StateMark> = new Map(), retried: ReadonlyMap<string, number> = new Map()): SVGElement {
  const svg = s('svg', { viewBox: `0 0 ${Math.ceil(placed.width)} ${Math.ceil(placed.height)}`, width: Math.ceil(placed.width), height: Math.ceil(placed.height), role: 'img', 'aria-label': 'state machine graph' });
  svg.append(
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
  );
  for (const cluster of graph.clusters) {
    const b = placed.clusters.get(cluster.id)!;
    svg.append(s('g', { class: 'cluster' }, s('rect', { x: b.x, y: b.y, width: b.width, height: b.height, rx: 8 }), s('text', { x: b.x + 8, y: b.y + 15 }, cluster.label)));
  }
  const reached = (id: string) => marks.has(id.replace(/·end$/, ''));
  for (const { edge, points } of placed.edges) {
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    const taken = reached(edge.from) && reached(edge.to);
    svg.append(s('path', { d, class: `edge ${edge.kind}${taken ? ' taken' : ''}`, 'marker-end': 'url(#arrow)' }));
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
