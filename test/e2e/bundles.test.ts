import { statSync } from 'node:fs';
import { loadSynthesizedStack } from '../../local/cloud-assembly';
import { resolveLocalStack } from '../../local/local-stack';
import { E2E_CONTEXT } from '../helpers/global-setup';

describe('Lambda bundles', () => {
  it('keep every function at most 100 KB (the AWS SDK comes from the runtime)', async () => {
    const stack = resolveLocalStack(await loadSynthesizedStack({ context: E2E_CONTEXT, synth: 'never' }));

    const sizes = Object.fromEntries(stack.functions.map((f) => [f.name, statSync(f.entry).size]));

    expect(Object.keys(sizes).length).toBeGreaterThanOrEqual(7);
    const oversized = Object.entries(sizes).filter(([, bytes]) => bytes > 100 * 1024);
    expect(oversized).toEqual([]);
  });
});
