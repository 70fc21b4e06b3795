import { executionPath, type HistoryEvent } from '../../local/console/execution-path';
import { place, stateGraph, type AslMachine } from '../../local/console/state-graph';

const withParallel: AslMachine = {
  StartAt: 'Reserve',
  States: {
    Reserve: { Type: 'Task', Next: 'Stage', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Cancel' }] },
    Stage: {
      Type: 'Parallel',
      Next: 'Confirm',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Release' }],
      Branches: [
        { StartAt: 'Charge', States: { Charge: { Type: 'Task', End: true } } },
        { StartAt: 'Ship', States: { Ship: { Type: 'Task', Next: 'Label' }, Label: { Type: 'Pass', End: true } } },
      ],
    },
    Confirm: { Type: 'Task', End: true, Retry: [{}] },
    Release: { Type: 'Task', Next: 'Cancel' },
    Cancel: { Type: 'Task', Next: 'Compensated' },
    Compensated: { Type: 'Fail' },
  },
};

describe('the console graph of a state machine', () => {
  it('puts a Parallel state and each of its branches in clusters, joined before the next stage', () => {
    const graph = stateGraph(withParallel);

    expect(graph.clusters).toEqual([
      { id: 'Stage·cluster', label: 'Parallel Stage', parent: undefined },
      { id: 'Stage·branch0', label: 'branch 1', parent: 'Stage·cluster' },
      { id: 'Stage·branch1', label: 'branch 2', parent: 'Stage·cluster' },
    ]);
    expect(graph.nodes.find((n) => n.id === 'Ship')?.parent).toBe('Stage·branch1');
    expect(graph.edges).toEqual(
      expect.arrayContaining([
        { from: 'Reserve', to: 'Stage', kind: 'next', label: undefined },
        { from: 'Stage', to: 'Charge', kind: 'next' },
        { from: 'Stage', to: 'Ship', kind: 'next' },
        { from: 'Label', to: 'Stage·end', kind: 'next' },
        { from: 'Stage·end', to: 'Confirm', kind: 'next', label: undefined },
        { from: 'Stage·end', to: 'Release', kind: 'catch', label: 'States.ALL' },
      ]),
    );
  });

  it('tells the forward steps from the states reached only through a Catch', () => {
    const lanes = Object.fromEntries(stateGraph(withParallel).nodes.map((n) => [n.id, n.lane]));

    expect(lanes).toMatchObject({ Reserve: 'forward', Stage: 'forward', Charge: 'forward', Confirm: 'forward', Release: 'failure', Cancel: 'failure', Compensated: 'failure' });
  });

  it('lays every state out inside its cluster', () => {
    const graph = stateGraph(withParallel);
    const placed = place(graph);
    const cluster = placed.clusters.get('Stage·branch1')!;
    const ship = placed.nodes.get('Ship')!;

    expect(ship.x).toBeGreaterThanOrEqual(cluster.x);
    expect(ship.y + ship.height).toBeLessThanOrEqual(cluster.y + cluster.height);
    expect(placed.edges.every((e) => e.points.length >= 2)).toBe(true);
  });
});

describe('the path of an execution, from its history', () => {
  let id = 0;
  const event = (type: string, previousEventId: number, name?: string): HistoryEvent => ({
    id: ++id,
    previousEventId,
    type,
    timestamp: id,
    ...(name ? { [type.endsWith('Entered') ? 'stateEnteredEventDetails' : 'stateExitedEventDetails']: { name } } : {}),
  });
  const lanes = new Map(stateGraph(withParallel).nodes.map((n) => [n.id, n.lane]));

  it('marks retried, caught, compensating and failed states, with branches interleaved', () => {
    id = 0;
    const events: HistoryEvent[] = [event('ExecutionStarted', 0)];
    const reserve = event('TaskStateEntered', 1, 'Reserve');
    events.push(reserve, event('TaskScheduled', reserve.id), event('TaskSucceeded', reserve.id + 1), event('TaskStateExited', reserve.id + 2, 'Reserve'));
    const stage = event('ParallelStateEntered', id, 'Stage');
    const charge = event('TaskStateEntered', stage.id, 'Charge');
    const ship = event('TaskStateEntered', stage.id, 'Ship');
    events.push(stage, charge, ship);
    const chargeScheduled = event('TaskScheduled', charge.id);
    const shipScheduled = event('TaskScheduled', ship.id);
    const chargeFailed = event('TaskFailed', chargeScheduled.id);
    const chargeRetried = event('TaskScheduled', chargeFailed.id);
    const shipFailed = event('TaskFailed', shipScheduled.id);
    events.push(chargeScheduled, shipScheduled, chargeFailed, chargeRetried, shipFailed);
    const chargeDone = event('TaskSucceeded', chargeRetried.id);
    const chargeExit = event('TaskStateExited', chargeDone.id, 'Charge');
    const stageFailed = event('ParallelStateFailed', shipFailed.id);
    const stageExit = event('ParallelStateExited', stageFailed.id, 'Stage');
    events.push(chargeDone, chargeExit, stageFailed, stageExit);
    const release = event('TaskStateEntered', stageExit.id, 'Release');
    events.push(release, event('TaskScheduled', release.id), event('TaskSucceeded', id), event('TaskStateExited', id + 0, 'Release'));
    const fail = event('FailStateEntered', id, 'Compensated');
    events.push(fail, event('ExecutionFailed', fail.id));

    const path = executionPath(events, lanes, false);

    expect(Object.fromEntries(path.marks)).toEqual({ Reserve: 'succeeded', Stage: 'caught', Charge: 'succeeded', Ship: 'failed', Release: 'compensating', Compensated: 'failed' });
    expect(Object.fromEntries(path.retried)).toEqual({ Charge: 1 });
    expect(path.stateOf.get(shipFailed.id)).toBe('Ship');
    expect([...path.transitions]).toEqual(['Reserve→Stage', 'Stage→Charge', 'Stage→Ship', 'Stage→Release', 'Release→Compensated']);
  });

  it('marks the state still running as running', () => {
    id = 0;
    const events = [event('ExecutionStarted', 0), event('TaskStateEntered', 1, 'Reserve'), event('TaskScheduled', 2)];

    expect(Object.fromEntries(executionPath(events, lanes, true).marks)).toEqual({ Reserve: 'running' });
  });
});
