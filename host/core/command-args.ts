// The argument handling every plugin command shares: --help, a first word that must be one of
// the command's actions, and usage mistakes answered with the usage text and exit code 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandArgs<O extends Options> {
  /** The first positional word: one of `actions`. */
  readonly action: string;
  readonly values: ReturnType<typeof parseArgs<{ options: O & { config: { type: 'string'; short: 'c' }; help: { type: 'boolean'; short: 'h' } }; allowPositionals: true }>>['values'];
  /** Every positional word, the action first. */
  readonly positionals: readonly string[];
}

/**
 * Parses `argv` for `jararaca-host <name> ACTION ...`; `--config` and `--help` are always
 * understood. Returns the parsed arguments, or the exit code when there is nothing to run
 * (0 after --help, 2 after a usage mistake, both with the usage text written).
 */
export function parseCommandArgs<const O extends Options>(spec: {
  name: string;
  argv: readonly string[];
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
  usage: string;
  actions: readonly string[];
  options: O;
}): CommandArgs<O> | number {
  const { name, io } = spec;
  const usage = spec.usage.endsWith('\n') ? spec.usage : spec.usage + '\n';
  const fail = (message: string) => (io.stderr.write(`jararaca-host ${name}: ${message}\n\n${usage}`), 2);
  let parsed;
  try {
    parsed = parseArgs({ args: [...spec.argv], allowPositionals: true, options: { ...spec.options, config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } as const });
  } catch (err) {
    return fail((err as Error).message);
  }
  const action = parsed.positionals[0];
  const help = (parsed.values as { help?: boolean }).help === true;
  if (help || !action) {
    (help ? io.stdout : io.stderr).write(usage);
    return help ? 0 : 2;
  }
  if (!spec.actions.includes(action)) return fail(`unknown action '${action}'`);
  return { action, values: parsed.values as CommandArgs<O>['values'], positionals: parsed.positionals };
}
