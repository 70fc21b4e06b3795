#!/usr/bin/env node
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { Command } from 'commander';
import { loadSynthesizedStack } from '../local/cloud-assembly';
import { resolveLocalStack } from '../local/local-stack';

/**
 * Creates the stack's state machine in Step Functions Local, from the synthesized definition with its tokens
 * resolved, under the name the generated MockConfigFile uses, and prints how to start each test case.
 */
const program = new Command('sfn-local-create')
  .option('--endpoint <url>', 'Step Functions Local', 'http://127.0.0.1:8083')
  .action(async (options: { endpoint: string }) => {
    const stack = resolveLocalStack(await loadSynthesizedStack({ context: { faultInjection: 'true' }, onProgress: (m) => console.error(`▸ ${m}`) }));
    const machine = stack.stateMachines[0];
    const sfn = new SFNClient({ endpoint: options.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const created = await sfn.send(
      new CreateStateMachineCommand({
        name: machine.name,
        definition: JSON.stringify(machine.definition),
        roleArn: 'arn:aws:iam::123456789012:role/DummyRole',
        type: machine.type,
      }),
    );
    console.log(`created ${created.stateMachineArn}`);
    console.log('start a test case of sfn-local/MockConfigFile.json with:');
    console.log(`  aws stepfunctions start-execution --endpoint-url ${options.endpoint} \\`);
    console.log(`    --state-machine-arn '${created.stateMachineArn}#HappyPath' --input file://examples/orders/happy-path.json`);
    sfn.destroy();
  });

program.parseAsync().catch((err: unknown) => {
  console.error(`sfn-local-create: ${err instanceof Error ? err.message : String(err)} (is Step Functions Local running? docker compose --profile sfn-local up -d)`);
  process.exit(1);
});
