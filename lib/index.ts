export * from './saga';
export * from './task-function';
export * from './order-saga-stack';
