// The interceptor: every execution of every kind, counted by kind, handler and outcome, timed
// through the whole onion inside this layer (list `metrics` first to time the other plugins too).
import type { Execution, Next } from 'jararaca';
import type { Instruments } from './instruments.ts';

type Attributes = { kind: string; handler: string; outcome: 'ok' | 'error' };

export function executionInterceptor(instruments: Instruments): (execution: Execution, next: Next) => Promise<unknown> {
  // One attribute object per handler and outcome, made once: no allocation per execution.
  const attributes = new Map<string, { ok: Attributes; error: Attributes }>();
  const of = (execution: Execution) => {
    const key = `${execution.kind} ${execution.handler.name}`;
    let found = attributes.get(key);
    if (!found) {
      const base = { kind: execution.kind as string, handler: execution.handler.name };
      attributes.set(key, (found = { ok: { ...base, outcome: 'ok' }, error: { ...base, outcome: 'error' } }));
    }
    return found;
  };
  const record = (attrs: Attributes, started: number) => {
    instruments.executions.add(1, attrs);
    instruments.executionDuration.record((performance.now() - started) / 1000, attrs);
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
