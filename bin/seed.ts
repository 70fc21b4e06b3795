#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { createDocumentClient } from '../lambdas/clients';
import { DemoCatalogue, DemoCustomers, seedCatalogue, seedCustomers } from '../lambdas/domain/seed';

/** Puts the demo catalogue and customers into the tables of a deployed stack. */
const program = new Command('seed')
  .description('Put the demo catalogue (SKUs with price and stock) and demo customers (with credit) into the deployed tables.')
  .option('--outputs <file>', 'the stack outputs written by `npm run deploy`', 'cdk-outputs.json')
  .option('--stack <name>', 'the stack whose outputs to use', 'ServerlessSaga')
  .action(async (options: { outputs: string; stack: string }) => {
    let outputs: Record<string, Record<string, string>>;
    try {
      outputs = JSON.parse(readFileSync(options.outputs, 'utf8')) as Record<string, Record<string, string>>;
    } catch (err: unknown) {
      throw new Error(`cannot read ${options.outputs} (${(err as Error).message}); run \`npm run deploy\` first, it writes that file`, { cause: err });
    }
    const stack = outputs[options.stack];
    if (!stack?.InventoryTableName || !stack.PaymentsTableName) {
      throw new Error(`${options.outputs} has no InventoryTableName/PaymentsTableName outputs for stack ${options.stack}`);
    }
    const doc = createDocumentClient();
    await seedCatalogue(DemoCatalogue, { doc, tableName: stack.InventoryTableName });
    await seedCustomers(DemoCustomers, { doc, tableName: stack.PaymentsTableName });
    console.log(`seeded ${DemoCatalogue.length} SKUs into ${stack.InventoryTableName} and ${DemoCustomers.length} customers into ${stack.PaymentsTableName}`);
  });

program.parseAsync().catch((err: unknown) => {
  console.error(`seed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
