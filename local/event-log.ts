import type { LocalEventBus } from './event-bus';
import type { EventBridgeEvent } from './execution-status-event';

/** One event the log holds: its place in the log, the bus it was put on, the event. */
export interface LoggedEvent {
  readonly seq: number;
  readonly bus: string;
  readonly event: EventBridgeEvent;
}

/**
 * Keeps the last events put on some buses, numbered, so that a reader can follow them (`saga events --follow`
 * asks for what came after the last number it saw). Older events are dropped past `capacity`.
 *
 * @example
 * const log = new EventLog([...runtime.buses.values()].filter((b) => b.name !== 'default'));
 * log.since(0); // every event kept so far
 */
export class EventLog {
  private readonly events: LoggedEvent[] = [];
  private next = 1;
  private readonly unsubscribe: (() => void)[];

  constructor(
    buses: readonly LocalEventBus[],
    private readonly capacity = 1_000,
  ) {
    this.unsubscribe = buses.map((bus) =>
      bus.subscribe((event) => {
        this.events.push({ seq: this.next++, bus: bus.name, event });
        if (this.events.length > this.capacity) this.events.shift();
      }),
    );
  }

  /** The events after `seq` still kept, oldest first. */
  since(seq: number): LoggedEvent[] {
    return this.events.filter((e) => e.seq > seq);
  }

  /** The number the next event will have. */
  get cursor(): number {
    return this.next - 1;
  }

  close(): void {
    for (const off of this.unsubscribe) off();
  }
}
