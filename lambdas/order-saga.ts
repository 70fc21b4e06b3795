import { ErrorName } from './errors';

/**
 * The order saga, declared once: its services, steps, business rejections, compensations and dependencies. The
 * stack (functions, grants, tables, the state machine), the handlers' step names, the fault-injection schema, the
 * mock configuration, the soak's workload and the demo's expected paths all derive from it. Tests keep their own
 * literal expectations, so that they stay an independent check of what derives from here.
 *
 * Adding a step: see docs/adding-a-step.md.
 */

/** A DynamoDB action a function may use on its service's table. */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem';

/** A service: one table, and the stack output that names it. */
export interface ServiceDeclaration {
  /** The table's construct id (a contract: changing it replaces the table). */
  readonly table: string;
  /** The stack output with the table's name. */
  readonly output: string;
}

/** A function of the saga: the state it runs as, its handler file in `lambdas/`, and what it does to its table. */
export interface FunctionDeclaration<Service extends string = string> {
  /** State name, verb + noun. */
  readonly name: string;
  /** Handler file in `lambdas/`, without `.ts`. */
  readonly handler: string;
  readonly service: Service;
  /** The DynamoDB actions it uses on its service's table: nothing else is granted. */
  readonly actions: readonly TableAction[];
}

/** A forward step. */
export interface StepDeclaration<Service extends string = string> extends FunctionDeclaration<Service> {
  /** Errors that mean the step committed nothing (never retried). */
  readonly rejections: readonly ErrorName[];
  readonly compensation?: FunctionDeclaration<Service>;
  /** @default - the step before it (see `SagaStep.dependsOn`) */
  readonly dependsOn?: readonly string[];
}

const services = {
  orders: { table: 'OrdersTable', output: 'OrdersTableName' },
  inventory: { table: 'InventoryTable', output: 'InventoryTableName' },
  payments: { table: 'PaymentsTable', output: 'PaymentsTableName' },
  shipping: { table: 'ShippingTable', output: 'ShippingTableName' },
} as const satisfies Record<string, ServiceDeclaration>;

/** The saga's services, each with a table of its own. */
export type ServiceName = keyof typeof services;

const undo = ['GetItem', 'UpdateItem', 'PutItem'] as const;

/** The order saga: its services, its steps in order, and the step that closes every failure path. */
export const OrderSaga = {
  services,
  steps: [
    // The orders service creates the order PENDING and owned by this execution: a second saga for the order,
    // whatever its execution is called, is refused here (DuplicateOrder, an input error) before it writes anything.
    { name: 'CreateOrder', handler: 'create-order', service: 'orders', actions: ['GetItem', 'PutItem'], rejections: [] },
    {
      name: 'ReserveInventory',
      handler: 'reserve-inventory',
      service: 'inventory',
      actions: ['GetItem', 'BatchGetItem', 'UpdateItem', 'PutItem'],
      rejections: [ErrorName.UnknownSku, ErrorName.InsufficientStock, ErrorName.OrderClosed, ErrorName.DuplicateOrder],
      compensation: { name: 'ReleaseInventory', handler: 'release-inventory', service: 'inventory', actions: undo },
    },
    // ChargePayment and ScheduleShipment both need only the reservation: they run side by side.
    {
      name: 'ChargePayment',
      handler: 'charge-payment',
      service: 'payments',
      actions: ['GetItem', 'UpdateItem', 'PutItem'],
      rejections: [ErrorName.UnknownCustomer, ErrorName.PaymentDeclined, ErrorName.OrderClosed, ErrorName.DuplicateOrder],
      compensation: { name: 'RefundPayment', handler: 'refund-payment', service: 'payments', actions: undo },
      dependsOn: ['ReserveInventory'],
    },
    {
      name: 'ScheduleShipment',
      handler: 'schedule-shipment',
      service: 'shipping',
      actions: ['GetItem', 'PutItem'],
      rejections: [ErrorName.UndeliverableAddress, ErrorName.OrderClosed, ErrorName.DuplicateOrder],
      compensation: { name: 'CancelShipment', handler: 'cancel-shipment', service: 'shipping', actions: undo },
      dependsOn: ['ReserveInventory'],
    },
    {
      name: 'ConfirmOrder',
      handler: 'confirm-order',
      service: 'orders',
      actions: ['GetItem', 'UpdateItem', 'PutItem'],
      rejections: [ErrorName.OrderClosed, ErrorName.DuplicateOrder],
      dependsOn: ['ChargePayment', 'ScheduleShipment'],
    },
  ],
  onFailure: { name: 'CancelOrder', handler: 'cancel-order', service: 'orders', actions: undo },
} as const satisfies {
  readonly services: Record<string, ServiceDeclaration>;
  readonly steps: readonly StepDeclaration<ServiceName>[];
  readonly onFailure: FunctionDeclaration<ServiceName>;
};

type Steps = (typeof OrderSaga.steps)[number];

/** The forward steps' names. */
export type StepName = Steps['name'];
/** Every state a function of the saga runs as: the steps, their compensations and the failure step. */
export type SagaFunctionName = StepName | Extract<Steps, { compensation: unknown }>['compensation']['name'] | (typeof OrderSaga.onFailure)['name'];

/** The forward steps, in order. */
export const StepNames = OrderSaga.steps.map((s) => s.name) as readonly StepName[];

/** The compensations, in the order the saga declares their steps, then the failure step. */
export const CompensationNames = [
  ...OrderSaga.steps.flatMap((s): readonly SagaFunctionName[] => ('compensation' in s ? [s.compensation.name] : [])),
  OrderSaga.onFailure.name,
] as readonly SagaFunctionName[];

/** Every function of the saga, as named in the state machine and in `faults`. */
export const SagaFunctionNames = [...StepNames, ...CompensationNames] as readonly SagaFunctionName[];

/**
 * Errors that are business rejections, by step: the step's transaction did not commit. `DuplicateOrder` after the
 * first step means a record of the order belongs to another saga, which this saga leaves alone.
 */
export const BusinessRejections = Object.fromEntries(OrderSaga.steps.map((s) => [s.name, s.rejections])) as {
  readonly [S in Steps as S['name']]: S['rejections'];
};
