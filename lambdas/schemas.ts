import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { InjectableFaults } from './errors';
import { SagaFunctionNames } from './order-saga';

/** Limits of a PlaceOrder command. Ids fit Step Functions execution names (1-80 characters, no spaces). */
export const OrderLimits = {
  maxLines: 25,
  maxQuantity: 1_000,
  idPattern: /^[A-Za-z0-9_-]+$/,
  maxOrderIdLength: 80,
  maxCustomerIdLength: 64,
  maxSkuLength: 64,
  maxAddressLineLength: 100,
  postcodePattern: /^[A-Za-z0-9][A-Za-z0-9 -]{0,14}$/,
  countryPattern: /^[A-Z]{2}$/,
} as const;

// zod/mini (tree-shaken: a fraction of zod's size in every bundle) with zod's English messages.
z.config(en());

const id = (label: string, max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${label} is required` : `${label} must be a string`) })
    .check(
      z.minLength(1, `${label} must not be empty`),
      z.maxLength(max, `${label} must be at most ${max} characters`),
      z.regex(OrderLimits.idPattern, `${label} may contain only letters, digits, '-' and '_'`),
    );

export const orderLine = z.strictObject({
  sku: id('sku', OrderLimits.maxSkuLength),
  quantity: z
    .number({ error: 'quantity must be a number' })
    .check(
      z.int('quantity must be a whole number'),
      z.positive('quantity must be at least 1'),
      z.maximum(OrderLimits.maxQuantity, `quantity must be at most ${OrderLimits.maxQuantity}`),
    ),
});
export type OrderLine = z.infer<typeof orderLine>;

/** A fault to inject at one step: an error name raised on every attempt, or only on the first `times` attempts. */
const faultName = z.enum(InjectableFaults, { error: `a fault is one of ${InjectableFaults.join(', ')}` });
export const faultSpec = z.union(
  [faultName, z.strictObject({ error: faultName, times: z.number().check(z.int(), z.positive(), z.maximum(100)) })],
  { error: `a fault is one of ${InjectableFaults.join(', ')}, or { "error": <one of those>, "times": <1-100> }` },
);
export type FaultSpec = z.infer<typeof faultSpec>;

/** The states a fault can be injected at: every step, compensation and the failure step (from lambdas/order-saga.ts). */
export const FaultableSteps = SagaFunctionNames;
export type FaultableStep = (typeof FaultableSteps)[number];

export const faults = z.partialRecord(z.enum(FaultableSteps, { error: `faults are keyed by step: one of ${FaultableSteps.join(', ')}` }), faultSpec);
export type Faults = z.infer<typeof faults>;

const addressLine = (label: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${label} is required` : `${label} must be a string`) })
    .check(
      z.trim(),
      z.minLength(1, `${label} must not be empty`),
      z.maxLength(OrderLimits.maxAddressLineLength, `${label} must be at most ${OrderLimits.maxAddressLineLength} characters`),
    );

/** Where to deliver an order. */
export const shippingAddress = z.strictObject(
  {
    line1: addressLine('line1'),
    city: addressLine('city'),
    postcode: z
      .string({ error: 'postcode must be a string' })
      .check(z.regex(OrderLimits.postcodePattern, "postcode must be 1-15 letters, digits, spaces or '-'")),
    country: z.string({ error: 'country must be a string' }).check(z.regex(OrderLimits.countryPattern, 'country must be an ISO 3166 code of two capital letters')),
  },
  { error: 'shipTo must be an object with line1, city, postcode and country' },
);
export type ShippingAddress = z.infer<typeof shippingAddress>;

/** The PlaceOrder command: the input of a saga execution. */
export const placeOrder = z.strictObject({
  orderId: id('orderId', OrderLimits.maxOrderIdLength),
  customerId: id('customerId', OrderLimits.maxCustomerIdLength),
  items: z.array(orderLine, { error: 'items must be an array of order lines' }).check(
    z.minLength(1, 'items must hold at least one line'),
    z.maxLength(OrderLimits.maxLines, `items must hold at most ${OrderLimits.maxLines} lines`),
    z.superRefine((lines, ctx) => {
      const seen = new Set<string>();
      for (const [index, line] of lines.entries()) {
        if (seen.has(line.sku)) {
          ctx.addIssue({ code: 'custom', message: `duplicate sku ${line.sku}`, path: [index, 'sku'] });
        }
        seen.add(line.sku);
      }
    }),
  ),
  /** Where to deliver the order; without it, the order is collected at the store. */
  shipTo: z.optional(shippingAddress),
  faults: z.optional(faults),
});
export type PlaceOrder = z.infer<typeof placeOrder>;

/**
 * What every function of the saga receives: the saga's id and its state. The saga id is the execution ARN of the
 * saga (`$$.Execution.Id`); every record a step writes names it, so that no other saga (another execution for the
 * same order, whatever its name) can replay, change or undo it.
 */
export const sagaRequest = z.object({
  sagaId: z.string({ error: 'sagaId is required: the saga passes its execution ARN' }).check(z.minLength(1), z.maxLength(2_048)),
  state: z.unknown(),
  /** The failure being compensated, when it is not in the state (a recovery compensates the saga's input). */
  failure: z.optional(z.lazy(() => failure)),
});
export type SagaRequest = z.infer<typeof sagaRequest>;

export const reservation = z.object({ reservationId: z.string(), total: z.number().check(z.int(), z.nonnegative()) });
export type Reservation = z.infer<typeof reservation>;

export const charge = z.object({ chargeId: z.string(), amount: z.number().check(z.int(), z.nonnegative()) });
export type Charge = z.infer<typeof charge>;

export const shipment = z.object({ shipmentId: z.string(), method: z.enum(['delivery', 'collection']) });
export type Shipment = z.infer<typeof shipment>;

/** What the saga's state carries after a step failed: which step, its error name and cause. */
export const failure = z.object({ step: z.string(), error: z.string(), cause: z.optional(z.string()) });
export type Failure = z.infer<typeof failure>;

/**
 * The saga's state as each Lambda receives it: the command plus the results of the steps so far.
 * Later steps read only what they need and let the rest through.
 */
const sagaState = <R extends z.core.$ZodLooseShape>(results: R) =>
  z.looseObject({
    orderId: id('orderId', OrderLimits.maxOrderIdLength),
    customerId: id('customerId', OrderLimits.maxCustomerIdLength),
    items: z.array(orderLine).check(z.minLength(1), z.maxLength(OrderLimits.maxLines)),
    shipTo: z.optional(shippingAddress),
    faults: z.optional(faults),
    results: z.optional(z.looseObject(results)),
    failure: z.optional(failure),
  });

const payload = <T extends z.ZodMiniType>(schema: T) => z.object({ Payload: schema });

/** The steps after CreateOrder read the command it validated, and the results so far. */
export const reserveInventoryInput = sagaState({});
export const chargePaymentInput = z.extend(sagaState({ ReserveInventory: payload(reservation) }), {
  results: z.looseObject({ ReserveInventory: payload(reservation) }),
});
export const scheduleShipmentInput = z.extend(sagaState({}), {
  results: z.looseObject({ ReserveInventory: payload(reservation) }),
});
export const confirmOrderInput = z.extend(sagaState({}), {
  results: z.looseObject({ ReserveInventory: payload(reservation), ChargePayment: payload(charge), ScheduleShipment: payload(shipment) }),
});
/** Compensations and CancelOrder work from the orderId alone: a step that failed may still have committed. */
export const compensationInput = sagaState({});

export type ReserveInventoryInput = z.infer<typeof reserveInventoryInput>;
export type ChargePaymentInput = z.infer<typeof chargePaymentInput>;
export type ScheduleShipmentInput = z.infer<typeof scheduleShipmentInput>;
export type ConfirmOrderInput = z.infer<typeof confirmOrderInput>;
export type CompensationInput = z.infer<typeof compensationInput>;
