import { chromium } from 'playwright-core';
import { orderSagaConsole } from '../cli/console-sources';
import { repairRoutes } from '../cli/repair-local';
import { orderStores, seedDemoData } from '../cli/stores';
import { consoleRoutes } from '../local/console/console-routes';
import { LocalRuntime } from '../local/runtime';
import { startStepFunctionsServer } from '../local/sfn-api';

/**
 * The console page's weight and first paint, as `saga serve` serves it: `npx tsx bench/console-page.ts`.
 * Each load is a fresh browser context (empty cache) in Debian's headless Chromium; sizes are the bytes transferred
 * (gzipped bodies plus headers, from the Resource Timing API), times from the Paint Timing API.
 */
const LOADS = 7;

async function main(): Promise<void> {
  const runtime = await LocalRuntime.start({ context: { faultInjection: 'true' } });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  try {
    await seedDemoData(orderStores(runtime));
    const server = await startStepFunctionsServer(runtime, { port: 0, routes: [...repairRoutes(runtime), ...consoleRoutes(runtime, orderSagaConsole())] });
    const loads: { transferred: number; bodies: number; firstPaint: number; firstContentfulPaint: number; graphDrawn: number }[] = [];
    for (let i = 0; i <= LOADS; i++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
      const page = await context.newPage();
      await page.goto(`${server.endpoint}/`);
      await page.waitForSelector('#graph svg [data-state]');
      const measured = await page.evaluate(`(() => {
        const graphDrawn = performance.now();
        const paint = Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]));
        // The document, its script and its stylesheet (not the API calls the page makes, which also go to /).
        const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource').filter((e) => ['script', 'link'].includes(e.initiatorType))];
        return { transferred: entries.reduce((sum, e) => sum + e.transferSize, 0), bodies: entries.reduce((sum, e) => sum + e.encodedBodySize, 0), firstPaint: paint['first-paint'], firstContentfulPaint: paint['first-contentful-paint'], graphDrawn };
      })()`);
      if (i > 0) loads.push(measured as (typeof loads)[number]); // the first load warms the server's bundle
      await context.close();
    }
    await server.close();
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    console.log(`console page, ${LOADS} loads with an empty cache (median):`);
    console.log(
      `  transferred (page + script + stylesheet): ${(median(loads.map((l) => l.bodies)) / 1024).toFixed(1)} KB of gzipped bodies, ${(median(loads.map((l) => l.transferred)) / 1024).toFixed(1)} KB with headers`,
    );
    console.log(`  first paint: ${median(loads.map((l) => l.firstPaint)).toFixed(0)} ms; first contentful paint: ${median(loads.map((l) => l.firstContentfulPaint)).toFixed(0)} ms`);
    console.log(`  graph drawn (the state machine laid out, after the API answered): ${median(loads.map((l) => l.graphDrawn)).toFixed(0)} ms`);
  } finally {
    await browser.close();
    await runtime.close();
  }
}

void main();
