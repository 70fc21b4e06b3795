import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OrderEventsSchemaVersion, orderEventJsonSchema } from '../lib/order-event-schema';

/** Writes the order events' JSON Schema file from its definition (`npm run schemas`). */
const file = join(__dirname, '..', 'schemas', 'order-events', `v${OrderEventsSchemaVersion}.json`);
writeFileSync(file, `${JSON.stringify(orderEventJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file}`);
