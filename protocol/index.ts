export * from './entities.ts';
export * from './messages.ts';
export * from './apply-op.ts';
export * from './ids.ts';
