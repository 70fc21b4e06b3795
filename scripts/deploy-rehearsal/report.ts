import type { RehearsalResult, TypeOutcome } from './rehearsal';

const MARK = { true: '✔', false: '✘' } as const;

function table(rows: readonly TypeOutcome[]): string[] {
  const width = Math.max(...rows.map((r) => r.type.length), 4);
  const lines = [`    ${'type'.padEnd(width)}  template  in moto  verdict`];
  for (const row of rows) {
    lines.push(`    ${row.type.padEnd(width)}  ${String(row.inTemplate).padStart(8)}  ${String(row.inMoto ?? '-').padStart(7)}  ${row.verdict}`);
  }
  return lines;
}

/** The rehearsal's summary, for a person: what was proved, where moto stopped and why, what it skipped. */
export function formatReport(result: RehearsalResult, requireComplete: boolean): string {
  const lines = [``, `Deploy rehearsal: moto ${result.motoVersion} at ${result.endpoint}, cdk deploy --method ${result.method}`];
  for (const check of result.checks) lines.push(`  ${MARK[`${check.ok}`]} ${check.name.padEnd(9)} ${check.detail}`);
  for (const stack of result.stacks) {
    if (stack.stoppedBecause) lines.push(`      stopped at: ${stack.stoppedBecause}`);
    if (stack.listedResources !== undefined) lines.push(`      DescribeStackResources lists ${stack.listedResources} resources`);
  }
  if (result.deployError) lines.push(`      cdk deploy said: ${result.deployError}`);

  lines.push('', '  Resources by type (all app stacks; "in moto" is what moto\'s own APIs list):', ...table(result.types));
  const skipped = result.types.filter((t) => t.verdict === 'skipped by moto');
  if (skipped.length > 0) {
    const names = skipped.map((t) => `${t.type} ×${t.inTemplate}`).join(', ');
    lines.push('', `  Skipped by moto (no CloudFormation model: ignored with a warning, never created): ${names}`);
  }
  const missing = result.types.filter((t) => t.verdict === 'not created' || t.verdict === 'partly created');
  if (missing.length > 0) {
    const names = missing.map((t) => `${t.type} ${t.inMoto}/${t.inTemplate}`).join(', ');
    lines.push(`  Not (all) created when the creation stopped: ${names}`);
  }

  const proved = result.checks.filter((c) => c.ok).map((c) => c.name);
  const notProved = result.checks.filter((c) => !c.ok).map((c) => c.name);
  lines.push('', `  Proved: ${proved.join(', ') || 'nothing'}${notProved.length ? `; not proved: ${notProved.join(', ')}` : ''}`);
  const s = result.seconds;
  const time = (seconds: number) => `${seconds.toFixed(0)} s`;
  lines.push(`  Time: synth ${time(s.synth)}, bootstrap ${time(s.bootstrap)}, deploy ${time(s.deploy)}, total ${time(s.total)}`);
  lines.push(`  Assembly and logs (synth, bootstrap, deploy, moto): ${result.workDir}`);
  const exit = rehearsalExitCode(result, requireComplete);
  const rule = requireComplete
    ? 'bootstrap, assets and every stack CREATE_COMPLETE required'
    : 'bootstrap and assets required; the stacks are reported (--require-complete to require them)';
  lines.push(`  Exit ${exit}: ${rule}`);
  return `${lines.join('\n')}\n`;
}

/** 0 when bootstrap and asset publishing are proved (and, with `requireComplete`, every stack is CREATE_COMPLETE). */
export function rehearsalExitCode(result: RehearsalResult, requireComplete: boolean): number {
  const required = result.checks.filter((c) => c.name !== 'stack' || requireComplete);
  return required.every((c) => c.ok) ? 0 : 1;
}
