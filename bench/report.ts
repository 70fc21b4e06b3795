import { costTable } from './cost';
import type { BenchResult, BenchRow } from './run-bench';

const n = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 1 });
const pct = (x: number) => `${Math.round(x * 100)} %`;
const ms = (x: number) => `${n(Math.round(x))} ms`;

/** The bench's figures as a markdown report: one table of the sagas against their floors, one of usage per saga. */
export function markdownReport(result: BenchResult, chartFile?: string): string {
  const { machine } = result;
  const lines = [
    `# Bench ${result.date}`,
    '',
    `${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, ${machine.platform}; load average ${machine.loadAverage.join(', ')} at the end.`,
    `Sagas per measurement: ${result.options.sagas} (at least twice the concurrency). Every figure of a row was measured in the same run, one phase after another.`,
    '',
    '| functions | workload | concurrency | sagas/s | p50 | p95 | p99 | store floor, sagas/s | store floor p50 | engine floor, sagas/s | throughput ÷ store floor | overhead above store time |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...result.rows.map(
      (r) =>
        `| ${r.isolation ?? 'worker'} | ${r.workload} | ${r.concurrency} | ${n(r.saga.perSecond)} | ${ms(r.saga.p50Ms)} | ${ms(r.saga.p95Ms)} | ${ms(r.saga.p99Ms)} | ${n(r.storeFloor.perSecond)} | ${ms(r.storeFloor.p50Ms)} | ${n(r.engineFloor.perSecond)} | ${r.throughputRatio.toFixed(2)} | ${pct(r.overheadRatio)} |`,
    ),
    '',
    'Goals: throughput ≥ 0.8 × the store floor from concurrency 8 up; overhead ≤ 10 % of the store time. The overhead is the',
    "saga's mean latency above the store floor's, as a share of the store floor's.",
    '',
    '| functions | workload | concurrency | outcomes | transitions | invocations | store calls | RCU | WCU | handler ms per invocation | CPU per saga: saga | store floor |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...result.rows.map(
      (r) =>
        `| ${r.isolation ?? 'worker'} | ${r.workload} | ${r.concurrency} | ${outcomes(r)} | ${r.usage.transitions} | ${r.usage.invocations} | ${r.usage.storeCalls} | ${r.usage.readUnits} | ${r.usage.writeUnits} | ${r.usage.msPerInvocation} | ${cpu(r.saga.cpuMsPerSaga)} | ${cpu(r.storeFloor.cpuMsPerSaga)} |`,
    ),
    '',
    'Per saga, averaged: RCU and WCU as DynamoDB Local reports them with `ReturnConsumedCapacity: TOTAL`. CPU per saga: milliseconds',
    "of CPU this process (all its threads) + DynamoDB Local's JVM used per saga while the phase ran.",
  ];
  if (chartFile) lines.push('', `![throughput and latency against concurrency](${chartFile})`);
  const cost = costTable(result);
  if (cost) {
    lines.push(
      '',
      '## Cost per million orders on AWS',
      '',
      cost.trimEnd(),
      '',
      'From the usage above at the lowest concurrency and the list prices in `bench/prices.json` (see bench/README.md for the model).',
    );
  }
  return `${lines.join('\n')}\n`;
}

const cpu = (t: { process: number; store?: number } | undefined) => (t ? (t.store === undefined ? `${n(t.process)} ms` : `${n(t.process)} + ${n(t.store)} ms`) : '–');

const outcomes = (r: BenchRow) =>
  Object.entries(r.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');

const COLORS = { saga: '#d62728', sagaWorker: '#ff7f0e', store: '#1f77b4', engine: '#2ca02c' } as const;

/** Throughput (left) and p95 latency (right) against concurrency, log scales, one line per series and workload. */
export function svgChart(result: BenchResult): string {
  const width = 960;
  const height = 400;
  const panel = { w: 400, h: 280, top: 50 };
  const lefts = [70, 550];
  const levels = [...new Set(result.rows.map((r) => r.concurrency))].sort((a, b) => a - b);
  const workloads = [...new Set(result.rows.map((r) => r.workload))];
  const logScale = (values: number[], size: number) => {
    const positive = values.filter((v) => v > 0);
    const lo = Math.floor(Math.log10(Math.min(...positive, 1)));
    const hi = Math.ceil(Math.log10(Math.max(...positive, 10)));
    return { lo, hi, at: (v: number) => size - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / Math.max(1, hi - lo)) * size };
  };
  const xAt = (c: number) => (levels.length === 1 ? panel.w / 2 : (levels.indexOf(c) / (levels.length - 1)) * panel.w);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">Saga on the local runtime against its floors, ${result.date.slice(0, 10)} (${result.machine.cpus} cores)</text>`,
  ];
  // The saga once per isolation; the floors (the same work whatever the isolation) from the first isolation's rows.
  const isolations = [...new Set(result.rows.map((r) => r.isolation ?? 'worker'))];
  type Series = { key: keyof typeof COLORS; label: string; isolation: string; value: (r: BenchRow) => number };
  const sagaSeries = (value: (r: BenchRow) => number): Series[] =>
    isolations.map((isolation, i) => ({ key: i === 0 ? 'saga' : 'sagaWorker', label: `saga, functions ${isolation}`, isolation, value }));
  const panels: { title: string; unit: string; series: Series[] }[] = [
    {
      title: 'throughput (sagas/s)',
      unit: '/s',
      series: [
        ...sagaSeries((r) => r.saga.perSecond),
        { key: 'store', label: 'store floor', isolation: isolations[0], value: (r) => r.storeFloor.perSecond },
        { key: 'engine', label: 'engine floor', isolation: isolations[0], value: (r) => r.engineFloor.perSecond },
      ],
    },
    {
      title: 'p95 latency (ms)',
      unit: 'ms',
      series: [
        ...sagaSeries((r) => r.saga.p95Ms),
        { key: 'store', label: 'store floor', isolation: isolations[0], value: (r) => r.storeFloor.p95Ms },
        { key: 'engine', label: 'engine floor', isolation: isolations[0], value: (r) => r.engineFloor.p95Ms },
      ],
    },
  ];
  panels.forEach((p, i) => {
    const x0 = lefts[i];
    const y = logScale(
      result.rows.flatMap((r) => p.series.map((s) => s.value(r))),
      panel.h,
    );
    parts.push(`<g transform="translate(${x0},${panel.top})">`);
    parts.push(`<text x="${panel.w / 2}" y="-12" text-anchor="middle">${p.title}, log scale</text>`);
    parts.push(`<rect width="${panel.w}" height="${panel.h}" fill="none" stroke="#999"/>`);
    for (let e = y.lo; e <= y.hi; e++) {
      const yy = y.at(10 ** e).toFixed(1);
      parts.push(`<line x1="0" x2="${panel.w}" y1="${yy}" y2="${yy}" stroke="#eee"/><text x="-6" y="${yy}" text-anchor="end" dy="4">${n(10 ** e)}</text>`);
    }
    for (const c of levels) parts.push(`<text x="${xAt(c).toFixed(1)}" y="${panel.h + 16}" text-anchor="middle">${c}</text>`);
    parts.push(`<text x="${panel.w / 2}" y="${panel.h + 32}" text-anchor="middle">concurrency</text>`);
    for (const s of p.series) {
      workloads.forEach((w, wi) => {
        const rows = result.rows.filter((r) => r.workload === w && (r.isolation ?? 'worker') === s.isolation).sort((a, b) => a.concurrency - b.concurrency);
        const points = rows.map((r) => `${xAt(r.concurrency).toFixed(1)},${y.at(s.value(r)).toFixed(1)}`).join(' ');
        parts.push(`<polyline points="${points}" fill="none" stroke="${COLORS[s.key]}" stroke-width="2"${wi > 0 ? ' stroke-dasharray="6 4"' : ''}/>`);
        for (const r of rows) parts.push(`<circle cx="${xAt(r.concurrency).toFixed(1)}" cy="${y.at(s.value(r)).toFixed(1)}" r="3" fill="${COLORS[s.key]}"/>`);
      });
    }
    parts.push('</g>');
  });
  const legend = [
    ...panels[0].series.map((s) => ({ color: COLORS[s.key], dash: false, label: s.label })),
    ...workloads.map((w, wi) => ({ color: '#333', dash: wi > 0, label: `${w} workload` })),
  ];
  legend.forEach((l, i) => {
    const x = 20 + i * 160;
    parts.push(
      `<line x1="${x}" x2="${x + 24}" y1="${height - 14}" y2="${height - 14}" stroke="${l.color}" stroke-width="2"${l.dash ? ' stroke-dasharray="6 4"' : ''}/><text x="${x + 30}" y="${height - 10}">${l.label}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
