// The interceptor: every execution of every kind, counted by kind, handler and outcome, timed
// through the whole onion inside this layer (list `metrics` first to time the other plugins too).
import type { Execution, Next } from 'jararaca';
import type { Series } from './counters.ts';
import type { Instruments } from './instruments.ts';

type Attributes = { kind: string; handler: string; outcome: 'ok' | 'error' };
interface Outcome {
  attributes: Attributes;
  count: Series;
}

export function executionInterceptor(instruments: Instruments): (execution: Execution, next: Next) => Promise<unknown> {
  // One attribute object and counter series per handler and outcome, made once: no allocation
  // and no lookup per execution beyond this map.
  const attributes = new Map<string, { ok: Outcome; error: Outcome }>();
  const of = (execution: Execution) => {
    const key = `${execution.kind} ${execution.handler.name}`;
    let found = attributes.get(key);
    if (!found) {
      const base = { kind: execution.kind as string, handler: execution.handler.name };
      const outcome = (o: 'ok' | 'error'): Outcome => {
        const attrs: Attributes = { ...base, outcome: o };
        return { attributes: attrs, count: instruments.executions.bind(attrs) };
      };
      attributes.set(key, (found = { ok: outcome('ok'), error: outcome('error') }));
    }
    return found;
  };
  const record = (outcome: Outcome, started: number) => {
    outcome.count.value++;
    instruments.executionDuration.record((performance.now() - started) / 1000, outcome.attributes);
  };
  return async (execution, next) => {
    const started = performance.now();
    try {
      const result = await next();
      record(of(execution).ok, started);
      return result;
    } catch (err) {
      record(of(execution).error, started);
      throw err;
    }
  };
}
