export * from './saga';
export * from './task-function';
export * from './order-saga-stack';
export * from './orders-api';
export * from './order-events';
export * from './order-event-schema';
