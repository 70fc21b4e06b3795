// JSONata for moto-driver.py, with the project's own `jsonata` package (the version AWS documents for Step
// Functions). One JSON request per line on stdin, one JSON answer per line on stdout, in order:
//   {"id":N,"version":true}  -> {"id":N,"version":"2.0.6"}
//   {"id":N,"expr":"..."}    -> {"id":N,"ok":true,"undefined":true}                  no value
//                               {"id":N,"ok":true,"undefined":false,"json":"<text>"} the value as JSON text
//                               {"id":N,"ok":false,"code":"T2001","message":"..."}   a compile or evaluation error
// The expression arrives complete: moto prepends the variable bindings (`$x := <json>;`) and evaluates it without
// an input document.
'use strict';
const jsonata = require('jsonata');
const { version } = require('jsonata/package.json');
const readline = require('node:readline');

const write = (answer) => process.stdout.write(`${JSON.stringify(answer)}\n`);

/** A value JSON cannot hold fails as Step Functions fails it, instead of being written as null. */
function strictJson(_key, value) {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw Object.assign(new Error(`the result holds ${value}, which JSON cannot represent`), { code: 'D1001' });
  }
  if (typeof value === 'function' || (value && typeof value === 'object' && value._jsonata_lambda)) {
    throw Object.assign(new Error('the result holds a function, which JSON cannot represent'), { code: 'T1005' });
  }
  return value;
}

async function answer(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (err) {
    write({ id: null, ok: false, code: 'BRIDGE', message: `unreadable request: ${err.message}` });
    return;
  }
  if (request.version) {
    write({ id: request.id, version });
    return;
  }
  try {
    const value = await jsonata(request.expr).evaluate(undefined);
    const json = value === undefined ? undefined : JSON.stringify(value, strictJson);
    write(json === undefined ? { id: request.id, ok: true, undefined: true } : { id: request.id, ok: true, undefined: false, json });
  } catch (err) {
    write({ id: request.id, ok: false, code: err?.code ?? 'UNKNOWN', message: err?.message ?? String(err) });
  }
}

// evaluate() is asynchronous in jsonata 2: chain the answers so that they leave in the order the requests came.
let chain = Promise.resolve();
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  chain = chain.then(() => answer(line));
});
lines.on('close', () => {
  void chain.then(() => process.exit(0));
});
