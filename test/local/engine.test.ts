import { AslEngine, ManualClock, TaskError, type HistoryEvent, type StateMachineDefinition, type TaskContext } from '../../local/engine';

const LAMBDA = 'arn:aws:states:::lambda:invoke';

function taskChain(extra: Record<string, unknown> = {}): StateMachineDefinition {
  return {
    StartAt: 'Charge',
    States: {
      Charge: { Type: 'Task', Resource: LAMBDA, Next: 'Done', ...extra },
      Done: { Type: 'Succeed' },
      Compensate: { Type: 'Pass', Result: 'compensated', End: true },
    },
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('AslEngine', () => {
  describe('task handlers', () => {
    it('passes the Parameters to the handler registered for the resource and uses its result', async () => {
      const seen: unknown[] = [];
      const engine = new AslEngine(
        taskChain({ Parameters: { 'orderId.$': '$.id', fixed: 1 }, ResultSelector: { 'paid.$': '$.Payload.ok' }, ResultPath: '$.charge' }),
        { tasks: { [LAMBDA]: (input) => (seen.push(input), Promise.resolve({ Payload: { ok: true } })) } },
      );

      const result = await engine.execute({ id: 'ord-1' });

      expect(seen).toEqual([{ orderId: 'ord-1', fixed: 1 }]);
      expect(result.status).toBe('SUCCEEDED');
      expect(result.output).toEqual({ id: 'ord-1', charge: { paid: true } });
    });

    it('gives the handler the context object, the attempt number and an abort signal', async () => {
      let context: TaskContext | undefined;
      const engine = new AslEngine(taskChain(), { tasks: (resource) => (resource === LAMBDA ? (_input, ctx) => ((context = ctx), Promise.resolve('ok')) : undefined) });

      await engine.execute({ a: 1 }, { name: 'exec-1' });

      expect(context?.stateName).toBe('Charge');
      expect(context?.attempt).toBe(1);
      expect(context?.signal.aborted).toBe(false);
      expect((context?.contextObject.Execution as Record<string, unknown>).Name).toBe('exec-1');
    });

    it('fails a Task whose resource has no handler with a named States.Runtime error that States.ALL does not catch', async () => {
      const engine = new AslEngine(taskChain({ Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Compensate' }] }));

      const result = await engine.execute({});

      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('States.Runtime');
      expect(result.cause).toContain(`'${LAMBDA}'`);
    });

    it('supports JSONata Arguments and Output with $states.result', async () => {
      const engine = new AslEngine(
        {
          QueryLanguage: 'JSONata',
          StartAt: 'Call',
          States: {
            Call: { Type: 'Task', Resource: LAMBDA, Arguments: { n: '{% $states.input.n + 1 %}' }, Output: '{% $states.result.Payload * 10 %}', Assign: { last: '{% $states.result.Payload %}' }, Next: 'Show' },
            Show: { Type: 'Pass', Output: { value: '{% $states.input %}', last: '{% $last %}' }, End: true },
          },
        },
        { tasks: { [LAMBDA]: (input) => Promise.resolve({ Payload: (input as { n: number }).n }) } },
      );

      const result = await engine.execute({ n: 1 });

      expect(result.output).toEqual({ value: 20, last: 2 });
    });
  });

  describe('retries', () => {
    it('retries with backoff on the injected clock, then succeeds', async () => {
      const clock = new ManualClock(Date.parse('2024-01-01T00:00:00Z'));
      let calls = 0;
      const engine = new AslEngine(
        taskChain({ Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 3 }] }),
        {
          clock,
          tasks: {
            [LAMBDA]: () => {
              calls += 1;
              return calls < 3 ? Promise.reject(new TaskError('TransientError', 'try again')) : Promise.resolve('ok');
            },
          },
        },
      );

      const execution = engine.startExecution({});
      await settle();
      expect(calls).toBe(1);
      await clock.advance(1_999);
      expect(calls).toBe(1);
      await clock.advance(1);
      expect(calls).toBe(2);
      await clock.advance(6_000);
      const result = await execution.result;

      expect(calls).toBe(3);
      expect(result.status).toBe('SUCCEEDED');
      expect(result.history.map((e) => e.type)).toEqual([
        'ExecutionStarted', 'TaskStateEntered',
        'TaskScheduled', 'TaskStarted', 'TaskFailed',
        'TaskScheduled', 'TaskStarted', 'TaskFailed',
        'TaskScheduled', 'TaskStarted', 'TaskSucceeded',
        'TaskStateExited', 'SucceedStateEntered', 'SucceedStateExited', 'ExecutionSucceeded',
      ]);
    });

    it('never retries with MaxAttempts 0 and caps the delay with MaxDelaySeconds', async () => {
      const delays: number[] = [];
      let calls = 0;
      const engine = new AslEngine(
        taskChain({
          Retry: [
            { ErrorEquals: ['Fatal'], MaxAttempts: 0 },
            { ErrorEquals: ['States.ALL'], IntervalSeconds: 10, BackoffRate: 10, MaxDelaySeconds: 15, MaxAttempts: 2 },
          ],
        }),
        {
          retryDelay: (info) => (delays.push(info.computedMs), 0),
          tasks: { [LAMBDA]: () => { calls += 1; return Promise.reject(new TaskError(calls === 1 ? 'Other' : 'Fatal', 'x')); } },
        },
      );

      const result = await engine.execute({});

      expect(result.error).toBe('Fatal');
      expect(calls).toBe(2);
      expect(delays).toEqual([10_000]);
    });

    it('scales retry intervals with timeScale', async () => {
      let calls = 0;
      const engine = new AslEngine(taskChain({ Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 60, MaxAttempts: 1 }] }), {
        timeScale: 0.0001,
        tasks: { [LAMBDA]: () => { calls += 1; return calls === 1 ? Promise.reject(new Error('boom')) : Promise.resolve(1); } },
      });

      const result = await engine.execute({});

      expect(result.status).toBe('SUCCEEDED');
      expect(calls).toBe(2);
    });
  });

  describe('catch', () => {
    it('routes a handler error to the catcher with the error output at ResultPath', async () => {
      const engine = new AslEngine(
        {
          StartAt: 'Charge',
          States: {
            Charge: { Type: 'Task', Resource: LAMBDA, Catch: [{ ErrorEquals: ['PaymentDeclined'], ResultPath: '$.failure', Next: 'Cancel' }], End: true },
            Cancel: { Type: 'Pass', End: true },
          },
        },
        { tasks: { [LAMBDA]: () => Promise.reject(new TaskError('PaymentDeclined', '{"errorMessage":"no credit"}')) } },
      );

      const result = await engine.execute({ orderId: 'o' });

      expect(result.output).toEqual({ orderId: 'o', failure: { Error: 'PaymentDeclined', Cause: '{"errorMessage":"no credit"}' } });
      expect(result.history.map((e) => e.type)).toEqual([
        'ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskFailed', 'TaskStateExited',
        'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded',
      ]);
    });

    it('reports a thrown Error by its name and message', async () => {
      class InsufficientStock extends Error {
        constructor() {
          super('SKU-1 short');
          this.name = 'InsufficientStock';
        }
      }
      const engine = new AslEngine(taskChain(), { tasks: { [LAMBDA]: () => Promise.reject(new InsufficientStock()) } });

      const result = await engine.execute({});

      expect(result).toMatchObject({ status: 'FAILED', error: 'InsufficientStock', cause: 'SKU-1 short' });
    });
  });

  describe('per execution', () => {
    it('uses the task handlers given to startExecution instead of the engine\u2019s', async () => {
      const engine = new AslEngine(taskChain(), { tasks: { [LAMBDA]: () => Promise.resolve('engine') } });

      const own = await engine.startExecution({}, { tasks: { [LAMBDA]: () => Promise.resolve('own') } }).result;
      const shared = await engine.execute({});

      expect(own.output).toBe('own');
      expect(shared.output).toBe('engine');
    });

    it('counts the retries of every state, Parallel included', async () => {
      let calls = 0;
      const engine = new AslEngine(
        {
          StartAt: 'Both',
          States: {
            Both: {
              Type: 'Parallel',
              Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 1, MaxAttempts: 2 }],
              Branches: [
                {
                  StartAt: 'Charge',
                  States: { Charge: { Type: 'Task', Resource: LAMBDA, Retry: [{ ErrorEquals: ['Busy'], IntervalSeconds: 1, MaxAttempts: 1 }], End: true } },
                },
              ],
              End: true,
            },
          },
        },
        {
          retryDelay: () => 0,
          tasks: {
            [LAMBDA]: () => {
              calls += 1;
              if (calls === 1) return Promise.reject(new TaskError('Busy', 'try again'));
              if (calls === 2) return Promise.reject(new TaskError('Flaky', 'branch fails'));
              return Promise.resolve('ok');
            },
          },
        },
      );

      const result = await engine.execute({});

      expect(result.status).toBe('SUCCEEDED');
      expect(result.retries).toBe(2);
    });
  });

  describe('timeouts', () => {
    it('fails a Task with States.Timeout after TimeoutSeconds and aborts the handler', async () => {
      const clock = new ManualClock(0);
      let aborted = false;
      const engine = new AslEngine(taskChain({ TimeoutSeconds: 5 }), {
        clock,
        tasks: { [LAMBDA]: (_input, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => { aborted = true; reject(new Error('stopped')); })) },
      });

      const execution = engine.startExecution({});
      await clock.advance(5_000);
      const result = await execution.result;

      expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
      expect(aborted).toBe(true);
      expect(result.history.map((e) => e.type)).toContain('TaskTimedOut');
    });

    describe('a handler that waits for a worker (queued, then started)', () => {
      // The handler waits 3 s (as for a free local worker), then works `workMs`, under TimeoutSeconds: 1.
      function engineWith(clock: ManualClock, options: { reportsQueue: boolean; workMs: number }): AslEngine {
        return new AslEngine(taskChain({ TimeoutSeconds: 1 }), {
          clock,
          tasks: {
            [LAMBDA]: async (_input, ctx) => {
              if (options.reportsQueue) ctx.queued();
              await clock.sleep(3_000);
              if (options.reportsQueue) ctx.started();
              await clock.sleep(options.workMs);
              return 'charged';
            },
          },
        });
      }

      it('does not count the time queued against TimeoutSeconds', async () => {
        const clock = new ManualClock(0);
        const execution = engineWith(clock, { reportsQueue: true, workMs: 500 }).startExecution({});

        await clock.advance(3_000);
        await clock.advance(500);
        const result = await execution.result;

        expect(result).toMatchObject({ status: 'SUCCEEDED', output: 'charged' });
      });

      it('fails with States.Timeout when the handler does not report its queue, timing it from scheduling', async () => {
        const clock = new ManualClock(0);
        const execution = engineWith(clock, { reportsQueue: false, workMs: 500 }).startExecution({});

        await clock.advance(3_000);
        const result = await execution.result;

        expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
        expect(result.stopDate.getTime() - result.startDate.getTime()).toBe(1_000);
      });

      it('still fails with States.Timeout when the work after started() outlasts TimeoutSeconds', async () => {
        const clock = new ManualClock(0);
        const execution = engineWith(clock, { reportsQueue: true, workMs: 5_000 }).startExecution({});

        await clock.advance(3_000);
        await clock.advance(2_000);
        const result = await execution.result;

        expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
        expect(result.stopDate.getTime() - result.startDate.getTime()).toBe(4_000);
      });

      it('counts the time before queued() and after started() together', async () => {
        const clock = new ManualClock(0);
        const engine = new AslEngine(taskChain({ TimeoutSeconds: 1 }), {
          clock,
          tasks: {
            [LAMBDA]: async (_input, ctx) => {
              await clock.sleep(600);
              ctx.queued();
              await clock.sleep(3_000);
              ctx.started();
              await clock.sleep(600);
              return 'charged';
            },
          },
        });

        const execution = engine.startExecution({});
        await clock.advance(600);
        await clock.advance(3_000);
        await clock.advance(600);
        const result = await execution.result;

        expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
        expect(result.stopDate.getTime() - result.startDate.getTime()).toBe(4_000);
      });
    });

    it('gives a Catch of a Task timeout the error output AWS gives: States.Timeout with an empty cause', async () => {
      const clock = new ManualClock(0);
      const engine = new AslEngine(
        taskChain({ TimeoutSeconds: 5, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Compensate' }], ResultPath: '$.r' }),
        { clock, tasks: { [LAMBDA]: () => new Promise(() => undefined) } },
      );

      const execution = engine.startExecution({ id: 1 });
      await clock.advance(5_000);
      const result = await execution.result;

      expect(result.history.find((e) => e.type === 'TaskTimedOut')).toMatchObject({ taskTimedOutEventDetails: { error: 'States.Timeout', cause: '' } });
      const compensated = result.history.find((e) => e.type === 'PassStateEntered')!;
      expect(JSON.parse((compensated.stateEnteredEventDetails as { input: string }).input)).toEqual({ id: 1, failure: { Error: 'States.Timeout', Cause: '' } });
    });

    it('scales Task timeouts with taskTimeoutScale, leaving Wait states as written, and keeps the written value in the history', async () => {
      const clock = new ManualClock(0);
      const engine = new AslEngine(
        { StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 10, Next: 'Charge' }, Charge: { Type: 'Task', Resource: LAMBDA, TimeoutSeconds: 10, End: true } } },
        { clock, taskTimeoutScale: 0.1, tasks: { [LAMBDA]: () => new Promise(() => undefined) } },
      );

      const execution = engine.startExecution({});
      await clock.advance(9_999);
      const scheduledDuringWait = execution.history.some((e) => e.type === 'TaskScheduled');
      await clock.advance(1 + 1_000);
      const result = await execution.result;

      expect(scheduledDuringWait).toBe(false);
      expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
      expect(result.stopDate.getTime() - result.startDate.getTime()).toBe(11_000);
      expect(result.history.find((e) => e.type === 'TaskScheduled')).toMatchObject({ taskScheduledEventDetails: { timeoutInSeconds: 10 } });
    });

    it('records States.Timeout on the ExecutionTimedOut event', async () => {
      const clock = new ManualClock(0);
      const engine = new AslEngine({ StartAt: 'Pause', TimeoutSeconds: 3, States: { Pause: { Type: 'Wait', Seconds: 10, End: true } } }, { clock });

      const execution = engine.startExecution({});
      await clock.advance(3_000);
      const result = await execution.result;

      expect(result.status).toBe('TIMED_OUT');
      expect(result.history[result.history.length - 1]).toMatchObject({ type: 'ExecutionTimedOut', executionTimedOutEventDetails: { error: 'States.Timeout' } });
    });

    it('fails with States.HeartbeatTimeout when the task stops heartbeating', async () => {
      const clock = new ManualClock(0);
      const engine = new AslEngine(taskChain({ TimeoutSeconds: 100, HeartbeatSeconds: 3 }), {
        clock,
        tasks: {
          [LAMBDA]: async (_input, ctx) => {
            await clock.sleep(2_000);
            ctx.heartbeat();
            await clock.sleep(10_000);
            return 'late';
          },
        },
      });

      const execution = engine.startExecution({});
      await clock.advance(2_000);
      await clock.advance(2_000);
      expect(execution.status).toBe('RUNNING');
      await clock.advance(1_000);
      const result = await execution.result;

      expect(result).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    });

    it('ends TIMED_OUT when the execution outlives its TimeoutSeconds', async () => {
      const clock = new ManualClock(0);
      const engine = new AslEngine({ TimeoutSeconds: 5, StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 60, End: true } } }, { clock });

      const execution = engine.startExecution({});
      await clock.advance(5_000);
      const result = await execution.result;

      expect(result.status).toBe('TIMED_OUT');
      expect(result.history.map((e) => e.type)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionTimedOut']);
    });
  });

  describe('stop and abort', () => {
    it('ends ABORTED with the error and cause given to stop()', async () => {
      const engine = new AslEngine(taskChain(), { tasks: { [LAMBDA]: (_i, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('x'))) } });

      const execution = engine.startExecution({});
      await settle();
      execution.stop('Operator', 'stopped by hand');
      const result = await execution.result;

      expect(result).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped by hand' });
      expect(result.history.at(-1)?.type).toBe('ExecutionAborted');
    });

    it('ends ABORTED when the caller aborts its signal during a Wait', async () => {
      const controller = new AbortController();
      const engine = new AslEngine({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } } });

      const execution = engine.startExecution({}, { signal: controller.signal });
      await settle();
      controller.abort();
      const result = await execution.result;

      expect(result.status).toBe('ABORTED');
    });
  });

  describe('history', () => {
    it('numbers events from 1, links each to the previous one and carries AWS detail shapes', async () => {
      const engine = new AslEngine({ StartAt: 'P', States: { P: { Type: 'Pass', Result: { x: 1 }, Assign: { y: 2 }, End: true } } });

      const { history } = await engine.execute({ a: 1 });

      expect(history.map((e: HistoryEvent) => [e.id, e.previousEventId, e.type])).toEqual([
        [1, 0, 'ExecutionStarted'],
        [2, 1, 'PassStateEntered'],
        [3, 2, 'PassStateExited'],
        [4, 3, 'ExecutionSucceeded'],
      ]);
      expect(history[0].timestamp).toBeInstanceOf(Date);
      expect(history[1].stateEnteredEventDetails).toMatchObject({ name: 'P', input: '{"a":1}' });
      expect(history[2].stateExitedEventDetails).toMatchObject({ name: 'P', output: '{"x":1}', assignedVariables: { y: '2' } });
      expect(history[3].executionSucceededEventDetails).toMatchObject({ output: '{"x":1}' });
    });

    it('records Map iterations with their index and links branch events to the Map start', async () => {
      const engine = new AslEngine({
        StartAt: 'M',
        States: { M: { Type: 'Map', MaxConcurrency: 1, ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } }, End: true } },
      });

      const { history, output } = await engine.execute([10, 20]);

      expect(output).toEqual([10, 20]);
      const started = history.find((e) => e.type === 'MapStateStarted');
      expect(started?.mapStateStartedEventDetails).toEqual({ length: 2 });
      const iterations = history.filter((e) => e.type === 'MapIterationStarted');
      expect(iterations.map((e) => e.mapIterationStartedEventDetails)).toEqual([{ name: 'M', index: 0 }, { name: 'M', index: 1 }]);
      expect(iterations.every((e) => e.previousEventId === started?.id)).toBe(true);
    });
  });

  describe('Parallel and Map', () => {
    it('stops the other branches when one fails and records them as aborted', async () => {
      const engine = new AslEngine({
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'Slow', States: { Slow: { Type: 'Wait', Seconds: 3600, End: true } } },
              { StartAt: 'Boom', States: { Boom: { Type: 'Fail', Error: 'Boom', Cause: 'bad' } } },
            ],
            End: true,
          },
        },
      });

      const result = await engine.execute({});

      expect(result).toMatchObject({ status: 'FAILED', error: 'Boom', cause: 'bad' });
      expect(result.history.map((e) => e.type)).toEqual(expect.arrayContaining(['WaitStateAborted', 'ParallelStateFailed']));
    });

    it('tolerates failed items of a DISTRIBUTED Map up to ToleratedFailureCount, then fails the run', async () => {
      const definition = (tolerated: number): StateMachineDefinition => ({
        StartAt: 'Items',
        States: {
          Items: {
            Type: 'Map',
            ToleratedFailureCount: tolerated,
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
              StartAt: 'Check',
              States: {
                Check: { Type: 'Choice', Choices: [{ Variable: '$', NumericGreaterThan: 1, Next: 'Reject' }], Default: 'Accept' },
                Reject: { Type: 'Fail', Error: 'TooBig' },
                Accept: { Type: 'Pass', End: true },
              },
            },
            End: true,
          },
        },
      });

      const tolerated = await new AslEngine(definition(2)).execute([1, 2, 3]);
      const exceeded = await new AslEngine(definition(1)).execute([1, 2, 3]);

      expect(tolerated).toMatchObject({ status: 'SUCCEEDED', output: [1, null, null] });
      expect(exceeded).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    });

    it('lets iterations read outer variables but keeps their own assignments inside', async () => {
      const engine = new AslEngine({
        QueryLanguage: 'JSONata',
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { factor: 10 }, Next: 'Each' },
          Each: {
            Type: 'Map',
            ItemProcessor: { StartAt: 'Scale', States: { Scale: { Type: 'Pass', Assign: { inner: 1 }, Output: '{% $states.input * $factor %}', End: true } } },
            Output: { values: '{% $states.result %}', innerVisible: '{% $exists($inner) %}' },
            End: true,
          },
        },
      });

      const result = await engine.execute([1, 2]);

      expect(result.output).toEqual({ values: [10, 20], innerVisible: false });
    });

    it('records a JSONata expression that returns nothing as EvaluationFailed with AWS wording', async () => {
      const engine = new AslEngine({ QueryLanguage: 'JSONata', StartAt: 'S', States: { S: { Type: 'Pass', Output: '{% $missing %}', End: true } } });

      const result = await engine.execute({});

      expect(result.error).toBe('States.QueryEvaluationError');
      expect(result.cause).toBe(
        "An error occurred while executing the state 'S' (entered at the event id #2). The JSONata expression '$missing' specified for the field 'Output' returned nothing (undefined).",
      );
      expect(result.history.map((e) => e.type)).toEqual(['ExecutionStarted', 'PassStateEntered', 'EvaluationFailed', 'ExecutionFailed']);
    });
    it.each(['$states.input.missing ?: 5', '$states.input.missing ?? 5'])(
      'evaluates JSONata 2.0.6, as AWS documents: `%s` (an operator of JSONata 2.1) is an error, not 5',
      async (expression) => {
        const engine = new AslEngine({ QueryLanguage: 'JSONata', StartAt: 'S', States: { S: { Type: 'Pass', Output: `{% ${expression} %}`, End: true } } });

        const result = await engine.execute({});

        expect(result.error).toBe('States.QueryEvaluationError');
        expect(result.cause).toContain('S0211');
      },
    );
  });

  describe('definitions', () => {
    it('refuses a definition whose Next names no state', () => {
      expect(() => new AslEngine({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nope' } } })).toThrow("goes to 'Nope'");
    });

    it('refuses a Map with an ItemReader by name', () => {
      expect(
        () => new AslEngine({ StartAt: 'M', States: { M: { Type: 'Map', ItemReader: { Resource: 'arn:aws:states:::s3:getObject' }, ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } }, End: true } } }),
      ).toThrow('ItemReader');
    });
  });
});
