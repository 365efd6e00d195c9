// The event record and its types are the outbox entity's (lib/store/events.ts); re-exported here
// for the domain, which decides what to emit.
export { EVENT_TYPES, type EventType, type VaultEventRecord } from '../store/event-types.js';
