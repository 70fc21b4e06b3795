import { graphlib, layout } from '@dagrejs/dagre';

/**
 * The state machine as a graph, from any ASL definition: a node per state, `Next`/`Choices`/`Default` edges, `Catch`
 * edges, and `Parallel` and `Map` states as clusters holding their branches; laid out by dagre. Used by the console's
 * page (bundled for the browser); nothing here touches the DOM.
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
