import { NoChoiceMatchedError, QueryEvaluationError } from '../errors';
import { historyJson } from '../history';
import { jsonSizeBound } from '../json-size';
import { evaluateChoiceRule } from '../choice-rules';
import { isJsonataString } from '../jsonata';
import type { StateRun } from '../state-run';
import type { ChoiceRule, JsonObject, StateOutcome } from '../types';

async function jsonataCondition(run: StateRun, rule: ChoiceRule): Promise<boolean> {
  const condition = isJsonataString(rule.Condition)
    ? await run.evaluateExpression(rule.Condition, 'Condition', { input: run.input })
    : rule.Condition;
  if (typeof condition !== 'boolean') {
    const body = typeof rule.Condition === 'string' ? rule.Condition : historyJson(rule.Condition);
    throw new QueryEvaluationError(
      `${run.errorPrefix()} The JSONata expression '${body}' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '${typeof condition}' for value: ${historyJson(condition)}`,
    );
  }
  return condition;
}

/** Choice: picks the first matching rule's Next (or Default), with that rule's (or the state's) Assign and Output. */
export async function runChoice(run: StateRun): Promise<StateOutcome> {
  const def = run.def;
  const rules = def.Choices ?? [];
  if (run.language === 'JSONata') {
    let matched: ChoiceRule | undefined;
    for (const rule of rules) {
      if (await jsonataCondition(run, rule)) {
        matched = rule;
        break;
      }
    }
    const next = matched ? matched.Next : def.Default;
    if (next === undefined) throw new NoChoiceMatchedError(`${run.errorPrefix()} No Choice rule matched and no Default is set.`);
    const source = matched ?? def;
    const states = { input: run.input };
    const assigned = await run.resolveAssignJsonata(source.Assign, states);
    const output = 'Output' in source ? await run.evaluateField(source.Output, 'Output', states) : run.input;
    return { ...run.commit(output, assigned), next };
  }
  const effective = run.applyInputPath(run.input);
  const matched = rules.find((rule) => evaluateChoiceRule(run, rule, effective));
  const next = matched ? matched.Next : def.Default;
  if (next === undefined) {
    throw new NoChoiceMatchedError(`${run.errorPrefix()} No Choice rule matched and no Default is set for the input '${historyJson(effective)}'.`);
  }
  const assignTemplate = matched ? matched.Assign : def.Assign;
  const assigned = assignTemplate ? (run.resolvePayload(assignTemplate, effective) as JsonObject) : undefined;
  const output = run.applyOutputPath(effective);
  return { ...run.commit(output, assigned, jsonSizeBound(run.input)), next };
}
