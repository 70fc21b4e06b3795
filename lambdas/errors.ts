/**
 * Every domain error of the order saga, by name.
 *
 * Step Functions matches Retry and Catch rules on the error's name, which the Lambda runtime reports as
 * `errorType`. Each class sets `this.name` to a string literal, so minification cannot change it, and the
 * state machine imports the same constants from here instead of spelling the names itself.
 */

export const ErrorName = {
  /** The order is malformed; nothing was written. */
  InvalidOrder: 'InvalidOrder',
  /** A line names a SKU that is not in the catalogue. */
  UnknownSku: 'UnknownSku',
  /** A line asks for more units than are in stock. */
  InsufficientStock: 'InsufficientStock',
  /** The customer has no payment account. */
  UnknownCustomer: 'UnknownCustomer',
  /** The customer's available credit does not cover the order total. */
  PaymentDeclined: 'PaymentDeclined',
  /** The shipping address is one the carrier cannot deliver to. */
  UndeliverableAddress: 'UndeliverableAddress',
  /** The order was already compensated (released, refunded or cancelled); it cannot go forward again. */
  OrderClosed: 'OrderClosed',
  /** The order already belongs to another saga (another execution): this one may neither change nor replay it. */
  DuplicateOrder: 'DuplicateOrder',
  /** A passing failure (throttling, a transaction conflict); the same call may succeed if retried. */
  TransientError: 'TransientError',
  /** A required environment variable is missing: the function is deployed wrong. */
  ConfigurationError: 'ConfigurationError',
} as const;

export type ErrorName = (typeof ErrorName)[keyof typeof ErrorName];

/**
 * Errors that refuse the command itself, raised by the first step before it writes anything: a malformed order, or
 * an order that already has a saga. The execution ends at once with that error; nothing is written.
 */
export const InputErrors = [ErrorName.InvalidOrder, ErrorName.DuplicateOrder] as const;

/** Errors worth retrying on a forward step. */
export const TransientErrors = [ErrorName.TransientError] as const;

abstract class DomainError extends Error {
  abstract override readonly name: ErrorName;
}

export class InvalidOrder extends DomainError {
  override readonly name = 'InvalidOrder';
}

export class UnknownSku extends DomainError {
  override readonly name = 'UnknownSku';
  constructor(readonly skus: readonly string[]) {
    super(`unknown SKU${skus.length > 1 ? 's' : ''}: ${skus.join(', ')}`);
  }
}

export interface StockShortfall {
  readonly sku: string;
  readonly requested: number;
  readonly available: number;
}

export class InsufficientStock extends DomainError {
  override readonly name = 'InsufficientStock';
  constructor(readonly shortfalls: readonly StockShortfall[]) {
    super(
      `insufficient stock: ${shortfalls.map((s) => `${s.sku} (requested ${s.requested}, available ${s.available})`).join(', ')}`,
    );
  }
}

export class UnknownCustomer extends DomainError {
  override readonly name = 'UnknownCustomer';
  constructor(readonly customerId: string) {
    super(`unknown customer: ${customerId}`);
  }
}

export class PaymentDeclined extends DomainError {
  override readonly name = 'PaymentDeclined';
  constructor(
    readonly customerId: string,
    readonly amount: number,
    readonly available: number,
  ) {
    super(`payment declined for ${customerId}: total ${amount} exceeds available credit ${available}`);
  }
}

export class UndeliverableAddress extends DomainError {
  override readonly name = 'UndeliverableAddress';
  constructor(
    readonly country: string,
    readonly reason: string,
  ) {
    super(`cannot deliver to ${country}: ${reason}`);
  }
}

export class OrderClosed extends DomainError {
  override readonly name = 'OrderClosed';
  constructor(
    readonly orderId: string,
    readonly detail: string,
  ) {
    super(`order ${orderId} is closed: ${detail}`);
  }
}

export class DuplicateOrder extends DomainError {
  override readonly name = 'DuplicateOrder';
  constructor(
    readonly orderId: string,
    /** The saga (execution ARN) the order belongs to. */
    readonly owner: string,
    detail = 'it belongs to another saga',
  ) {
    super(`order ${orderId} already has a saga: ${detail} (${owner})`);
  }
}

export class TransientError extends DomainError {
  override readonly name = 'TransientError';
}

export class ConfigurationError extends DomainError {
  override readonly name = 'ConfigurationError';
}

/** The names that fault injection may raise: every domain error, an unnamed `Error`, or a `Timeout`. */
export const InjectableFaults = [...Object.values(ErrorName), 'Error', 'Timeout'] as const;
export type InjectableFault = (typeof InjectableFaults)[number];

const constructors: Record<ErrorName, (message: string) => Error> = {
  InvalidOrder: (m) => new InvalidOrder(m),
  UnknownSku: (m) => Object.assign(new UnknownSku([]), { message: m }),
  InsufficientStock: (m) => Object.assign(new InsufficientStock([]), { message: m }),
  UnknownCustomer: (m) => Object.assign(new UnknownCustomer(''), { message: m }),
  PaymentDeclined: (m) => Object.assign(new PaymentDeclined('', 0, 0), { message: m }),
  UndeliverableAddress: (m) => Object.assign(new UndeliverableAddress('', ''), { message: m }),
  OrderClosed: (m) => Object.assign(new OrderClosed('', ''), { message: m }),
  DuplicateOrder: (m) => Object.assign(new DuplicateOrder('', ''), { message: m }),
  TransientError: (m) => new TransientError(m),
  ConfigurationError: (m) => new ConfigurationError(m),
};

/** Builds the named error for an injected fault or a recorded rejection (`Error` gives a plain, unrecognised error). */
export function errorNamed(name: ErrorName | 'Error', message: string): Error {
  return name === 'Error' ? new Error(message) : constructors[name](message);
}

/** True for the names of {@link ErrorName}. */
export function isErrorName(name: string): name is ErrorName {
  return Object.prototype.hasOwnProperty.call(constructors, name);
}

/**
 * Refusals of the Orders API (answered as HTTP statuses, never raised inside the saga, so not injectable faults):
 * a malformed command (400, with `InvalidOrder`), an order id already taken by other content (409), an unknown
 * order (404).
 */
export const ApiErrorName = { OrderConflict: 'OrderConflict', OrderNotFound: 'OrderNotFound' } as const;

export class OrderConflict extends Error {
  override readonly name = 'OrderConflict';
  constructor(
    readonly orderId: string,
    /** What differs, or whose the order is. */
    readonly reason: string,
  ) {
    super(`order ${orderId} was already placed with other content: ${reason}`);
  }
}

export class OrderNotFound extends Error {
  override readonly name = 'OrderNotFound';
  constructor(readonly orderId: string) {
    super(`order ${orderId} does not exist`);
  }
}
