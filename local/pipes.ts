import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import type { CfnResource } from './cloud-assembly';
import { localDynamoDbClient } from './dynamodb-local';
import type { LocalEventBus } from './event-bus';
import { InvalidEventPatternError, InvalidPipeError, UnsupportedPipeError } from './event-errors';
import { compileEventPattern, type CompiledEventPattern } from './event-pattern';
import { fillInputTemplate } from './event-target-input';

/** An `AWS::Pipes::Pipe` from a DynamoDB table's stream to an event bus, as the local runtime runs it. */
export interface LocalPipe {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The table whose stream is the source (its local name). */
  readonly sourceTable: string;
  /** `LATEST`: only changes after the pipe started; `TRIM_HORIZON`: every change the stream still holds. */
  readonly startingPosition: 'LATEST' | 'TRIM_HORIZON';
  /** `FilterCriteria`: a record passes when any pattern matches; with none, every record passes. */
  readonly filters: readonly CompiledEventPattern[];
  /** `TargetParameters.InputTemplate`. @default - the record as JSON */
  readonly inputTemplate?: string;
  /** The target event bus's name. */
  readonly targetBus: string;
  readonly detailType: string;
  readonly source: string;
  /** `EventBridgeEventBusParameters.Resources`. */
  readonly resources: readonly string[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What the local runtime honours of a DynamoDB stream source; the rest is refused by name. */
const STREAM_PARAMETERS = new Set([
  'StartingPosition',
  'BatchSize',
  'MaximumBatchingWindowInSeconds',
  'MaximumRetryAttempts',
  'MaximumRecordAgeInSeconds',
  'DeadLetterConfig',
  'OnPartialBatchItemFailure',
  'ParallelizationFactor',
]);

/**
 * Reads the template's `AWS::Pipes::Pipe` resources. Emulated: a source that is the stream of one of the stack's
 * DynamoDB tables (`Fn::GetAtt [Table, StreamArn]`), `FilterCriteria`, `TargetParameters.InputTemplate`, and a
 * target that is one of the stack's event buses with static `DetailType`, `Source` and `Resources`. Anything else
 * is refused with an {@link UnsupportedPipeError} naming the pipe and the feature; a pipe with `DesiredState:
 * STOPPED` is not run.
 *
 * @example
 * const pipes = resolvePipes(template.Resources, 'us-east-1', '000000000000');
 */
export function resolvePipes(resources: Readonly<Record<string, CfnResource>>, region: string, accountId: string): LocalPipe[] {
  const nameOf = (logicalId: string, property: string) => {
    const explicit = resources[logicalId]?.Properties?.[property];
    return typeof explicit === 'string' ? explicit : logicalId;
  };
  const pipes: LocalPipe[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Pipes::Pipe') continue;
    const p = resource.Properties ?? {};
    const refuse = (feature: string, why: string): never => {
      throw new UnsupportedPipeError(`pipe ${logicalId}: ${feature} is not emulated locally (${why})`, logicalId, feature);
    };
    if (p.DesiredState === 'STOPPED') continue;
    if (p.Enrichment !== undefined) refuse('Enrichment', 'only a filter and an input template run between source and target');

    const source = p.Source;
    const [table, attribute] = isObject(source) && Array.isArray(source['Fn::GetAtt']) ? (source['Fn::GetAtt'] as string[]) : [];
    if (attribute !== 'StreamArn' || resources[table]?.Type !== 'AWS::DynamoDB::Table') {
      refuse('Source', `only the stream of one of the stack's DynamoDB tables, as Fn::GetAtt [Table, StreamArn], is read; got ${JSON.stringify(source)}`);
    }
    const sourceParameters = isObject(p.SourceParameters) ? p.SourceParameters : {};
    for (const key of Object.keys(sourceParameters)) {
      if (key !== 'DynamoDBStreamParameters' && key !== 'FilterCriteria') refuse(`SourceParameters.${key}`, 'only DynamoDBStreamParameters and FilterCriteria');
    }
    const stream = isObject(sourceParameters.DynamoDBStreamParameters) ? sourceParameters.DynamoDBStreamParameters : {};
    for (const key of Object.keys(stream)) if (!STREAM_PARAMETERS.has(key)) refuse(`DynamoDBStreamParameters.${key}`, 'not read');
    const startingPosition = stream.StartingPosition === 'TRIM_HORIZON' ? 'TRIM_HORIZON' : 'LATEST';

    const filterCriteria = isObject(sourceParameters.FilterCriteria) ? sourceParameters.FilterCriteria : {};
    const filters = (Array.isArray(filterCriteria.Filters) ? filterCriteria.Filters : []).map((filter: unknown, index: number) => {
      const pattern = isObject(filter) ? filter.Pattern : undefined;
      if (typeof pattern !== 'string') throw new InvalidPipeError(`pipe ${logicalId}: FilterCriteria.Filters[${index}].Pattern must be JSON text`, logicalId);
      try {
        return compileEventPattern(pattern);
      } catch (err: unknown) {
        if (err instanceof InvalidEventPatternError) throw new InvalidPipeError(`pipe ${logicalId}: filter ${index}: ${err.message}`, logicalId, { cause: err });
        throw err;
      }
    });

    const target = p.Target;
    const [bus, busAttribute] = isObject(target) && Array.isArray(target['Fn::GetAtt']) ? (target['Fn::GetAtt'] as string[]) : [];
    if (busAttribute !== 'Arn' || resources[bus]?.Type !== 'AWS::Events::EventBus') {
      refuse('Target', `only one of the stack's event buses, as Fn::GetAtt [Bus, Arn], is a target; got ${JSON.stringify(target)}`);
    }
    const targetParameters = isObject(p.TargetParameters) ? p.TargetParameters : {};
    for (const key of Object.keys(targetParameters)) {
      if (key !== 'InputTemplate' && key !== 'EventBridgeEventBusParameters') refuse(`TargetParameters.${key}`, 'an event bus target takes InputTemplate and EventBridgeEventBusParameters');
    }
    const busParameters = isObject(targetParameters.EventBridgeEventBusParameters) ? targetParameters.EventBridgeEventBusParameters : {};
    if (busParameters.EndpointId !== undefined) refuse('EventBridgeEventBusParameters.EndpointId', 'global endpoints are not emulated');
    if (busParameters.Time !== undefined) refuse('EventBridgeEventBusParameters.Time', 'events carry the time they were put');
    const text = (key: string, fallback: string): string => {
      const value = busParameters[key] ?? fallback;
      if (typeof value !== 'string') return refuse(`EventBridgeEventBusParameters.${key}`, 'only a literal string is read');
      if (value.startsWith('$.')) refuse(`EventBridgeEventBusParameters.${key}`, 'dynamic path parameters are not emulated');
      return value;
    };
    const resourcesList = busParameters.Resources ?? [];
    if (!Array.isArray(resourcesList) || !resourcesList.every((r) => typeof r === 'string' && !r.startsWith('$.'))) {
      refuse('EventBridgeEventBusParameters.Resources', 'only literal ARNs are read');
    }
    const inputTemplate = targetParameters.InputTemplate;
    if (inputTemplate !== undefined && typeof inputTemplate !== 'string') refuse('TargetParameters.InputTemplate', 'only literal text is read');

    const name = nameOf(logicalId, 'Name');
    pipes.push({
      logicalId,
      name,
      arn: `arn:aws:pipes:${region}:${accountId}:pipe/${name}`,
      sourceTable: nameOf(table, 'TableName'),
      startingPosition,
      filters,
      ...(inputTemplate !== undefined ? { inputTemplate: inputTemplate as string } : {}),
      targetBus: nameOf(bus, 'Name'),
      // On AWS a pipe's events default to the detail-type "Event from aws:dynamodb" and the pipe's ARN as source.
      detailType: text('DetailType', 'Event from aws:dynamodb'),
      source: text('Source', `arn:aws:pipes:${region}:${accountId}:pipe/${name}`),
      resources: resourcesList as string[],
    });
  }
  return pipes;
}

/** A DynamoDB stream record as a pipe (and a Lambda trigger) receives it. */
export interface StreamRecordEvent {
  readonly eventID: string;
  readonly eventName: string;
  readonly eventVersion: string;
  readonly eventSource: 'aws:dynamodb';
  readonly awsRegion: string;
  readonly dynamodb: Record<string, unknown>;
  readonly eventSourceARN: string;
}

function toEvent(record: _Record, streamArn: string, region: string): StreamRecordEvent {
  const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
  return {
    eventID: record.eventID ?? '',
    eventName: record.eventName ?? '',
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: { ...(ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) } : {}), ...dynamodb },
    eventSourceARN: streamArn,
  };
}

const RESERVED = '__aws_pipes_reserved';

/**
 * Rewrites a pipe's input template (`<$.path>` placeholders, and the reserved `<aws.pipes.*>` ones) into an
 * EventBridge input transformer, so that both fill values the same way: inside a JSON string by the value's text,
 * outside one by its JSON.
 */
export function pipeInputText(pipe: LocalPipe, event: StreamRecordEvent, ingestionTime: string): string {
  if (pipe.inputTemplate === undefined) return JSON.stringify(event);
  const inputPathsMap: Record<string, string> = {};
  const values: Record<string, string> = {};
  const reserved: Record<string, string> = {
    'aws.pipes.pipe-arn': pipe.arn,
    'aws.pipes.pipe-name': pipe.name,
    'aws.pipes.source-arn': event.eventSourceARN,
    'aws.pipes.event.ingestion-time': ingestionTime,
  };
  let n = 0;
  const template = pipe.inputTemplate.replace(/<(\$[^<>]*|aws\.pipes\.[^<>]*)>/g, (_whole, path: string) => {
    if (path === 'aws.pipes.event' || path === 'aws.pipes.event.json') return '<aws.events.event>';
    const variable = `v${n++}`;
    if (path.startsWith('$')) {
      inputPathsMap[variable] = path;
    } else {
      if (!(path in reserved)) throw new UnsupportedPipeError(`pipe ${pipe.logicalId}: <${path}> is not emulated locally`, pipe.logicalId, `<${path}>`);
      // A reserved value is read from a copy of the event that carries it under the variable's name.
      values[variable] = reserved[path];
      inputPathsMap[variable] = `$.${RESERVED}.${variable}`;
    }
    return `<${variable}>`;
  });
  const withReserved = Object.keys(values).length > 0 ? { ...event, [RESERVED]: values } : event;
  return fillInputTemplate({ inputPathsMap, inputTemplate: template }, withReserved, { ruleName: pipe.name, ruleArn: pipe.arn, ingestionTime });
}

/** Options of {@link LocalPipes}. */
export interface LocalPipesOptions {
  /** Read the streams this often, in the background; 0 reads only on {@link LocalPipes.drain}. @default 0 */
  readonly pollIntervalMs?: number;
  /**
   * Put every event twice, as EventBridge Pipes may (at-least-once delivery after a retried batch), to show that
   * consumers deduplicate. @default false
   */
  readonly deliverTwice?: boolean;
  /** Told of a read or a put that failed (the next poll tries again). @default - nothing */
  readonly onError?: (err: unknown) => void;
}

/** What the pipes need of a local runtime. */
export interface PipeHost {
  readonly resources: Readonly<Record<string, CfnResource>>;
  readonly dynamoDbEndpoint: string;
  readonly buses: ReadonlyMap<string, LocalEventBus>;
  readonly stack: { readonly region: string; readonly accountId: string };
}

interface ShardCursor {
  /** The sequence number of the last record read. */
  last?: string;
}

/**
 * Runs a stack's pipes on the local runtime: reads each source table's stream on DynamoDB Local (each record once,
 * for every pipe of that table, in order per shard), keeps the records a pipe's filters let through, fills its
 * input template and puts the event on its target bus, where the bus's rules deliver it. Retries, batching windows,
 * dead-letter queues and pipe logs are not emulated: a local put does not fail for want of capacity.
 *
 * @example
 * const pipes = await LocalPipes.start(runtime, { pollIntervalMs: 200 });
 * await runtime.settled();
 * await pipes.drain(); // every committed change is now on its bus
 * await pipes.close();
 */
export class LocalPipes {
  private readonly streams: DynamoDBStreamsClient;
  private readonly cursors = new Map<string, Map<string, ShardCursor>>();
  private readonly streamArns = new Map<string, string>();
  private running: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private counters = { read: 0, put: 0 };

  private constructor(
    private readonly host: PipeHost,
    readonly pipes: readonly LocalPipe[],
    private readonly options: LocalPipesOptions,
  ) {
    this.streams = new DynamoDBStreamsClient({ endpoint: host.dynamoDbEndpoint, region: host.stack.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  }

  /** Reads the pipes from the runtime's template and positions each stream (`LATEST`: after what is there now). */
  static async start(host: PipeHost, options: LocalPipesOptions = {}): Promise<LocalPipes> {
    const pipes = resolvePipes(host.resources, host.stack.region, host.stack.accountId);
    for (const pipe of pipes) {
      if (!host.buses.has(pipe.targetBus)) throw new UnsupportedPipeError(`pipe ${pipe.logicalId}: no local bus ${pipe.targetBus}`, pipe.logicalId, 'Target');
    }
    const local = new LocalPipes(host, pipes, options);
    await local.position();
    if ((options.pollIntervalMs ?? 0) > 0) local.schedule();
    return local;
  }

  /** Stream records read and events put so far (a duplicate delivery counts as a put). */
  get stats(): { readonly read: number; readonly put: number } {
    return { ...this.counters };
  }

  /**
   * Reads every record the streams hold now and puts the events, then waits for the buses to deliver them.
   * Resolves once every change committed before the call is on its bus.
   */
  async drain(): Promise<void> {
    await this.enqueue(() => this.readAll());
    for (const pipe of this.pipes) await this.host.buses.get(pipe.targetBus)?.settled();
  }

  /** Stops polling and waits for a read in progress. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running.catch(() => undefined);
    this.streams.destroy();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.enqueue(() => this.readAll())
        .catch((err: unknown) => this.options.onError?.(err))
        .finally(() => this.schedule());
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.running.catch(() => undefined).then(work);
    this.running = next;
    return next;
  }

  private tables(): string[] {
    return [...new Set(this.pipes.map((p) => p.sourceTable))];
  }

  private async streamArn(table: string): Promise<string> {
    const known = this.streamArns.get(table);
    if (known) return known;
    const db = localDynamoDbClient(this.host.dynamoDbEndpoint, this.host.stack.region);
    try {
      const out = await db.send(new DescribeTableCommand({ TableName: table }));
      const arn = out.Table?.LatestStreamArn;
      if (!arn) throw new UnsupportedPipeError(`table ${table} has no stream on DynamoDB Local: give it a StreamSpecification`, table, 'StreamSpecification');
      this.streamArns.set(table, arn);
      return arn;
    } finally {
      db.destroy();
    }
  }

  private async shards(streamArn: string): Promise<string[]> {
    const ids: string[] = [];
    let start: string | undefined;
    do {
      const out = await this.streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }));
      ids.push(...(out.StreamDescription?.Shards ?? []).map((s) => s.ShardId!));
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return ids;
  }

  /**
   * For `LATEST` pipes: what the shards hold now is read and skipped; later records are published. (DynamoDB Local
   * answers a `LATEST` iterator of an empty shard with TrimmedDataAccessException, so the position is reached by
   * reading from the start.)
   */
  private async position(): Promise<void> {
    for (const table of this.tables()) this.cursors.set(table, new Map());
    if (this.pipes.some((p) => p.startingPosition === 'LATEST')) await this.readAll(new Set(this.pipes.filter((p) => p.startingPosition === 'LATEST').map((p) => p.sourceTable)));
  }

  /**
   * Reads every shard of every source stream to its end, publishing each record (or skipping those of `skip`
   * tables). Each read takes a fresh iterator after the last record seen (DynamoDB Local answers an iterator kept
   * from an empty read with TrimmedDataAccessException once other tables' streams have moved on).
   */
  private async readAll(skip: ReadonlySet<string> = new Set()): Promise<void> {
    for (const table of this.tables()) {
      const streamArn = await this.streamArn(table);
      const cursors = this.cursors.get(table)!;
      for (const shardId of await this.shards(streamArn)) {
        const cursor = cursors.get(shardId) ?? {};
        cursors.set(shardId, cursor);
        const out = await this.streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ...(cursor.last ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: cursor.last } : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        );
        let iterator = out.ShardIterator;
        while (iterator) {
          const page = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
          const records = page.Records ?? [];
          for (const record of records) {
            if (!skip.has(table)) this.publish(table, toEvent(record, streamArn, this.host.stack.region));
            cursor.last = record.dynamodb?.SequenceNumber ?? cursor.last;
          }
          iterator = records.length === 0 ? undefined : page.NextShardIterator;
        }
      }
    }
  }

  private publish(table: string, event: StreamRecordEvent): void {
    this.counters.read++;
    const ingestionTime = new Date().toISOString();
    for (const pipe of this.pipes) {
      if (pipe.sourceTable !== table) continue;
      if (pipe.filters.length > 0 && !pipe.filters.some((f) => f.matches(event))) continue;
      const detail = pipeInputText(pipe, event, ingestionTime);
      const bus = this.host.buses.get(pipe.targetBus)!;
      const copies = this.options.deliverTwice ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        bus.putEntry({ source: pipe.source, detailType: pipe.detailType, detail, resources: pipe.resources });
        this.counters.put++;
      }
    }
  }
}
