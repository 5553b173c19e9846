// The guard on the tasks controller's destructive routes: the caller must send the service's
// API key (config.apiKey, from TASKS_API_KEY) in `x-api-key`. A missing key is a 401, a wrong
// one a 403 (the guard answers false).
import { HttpError, type Execution } from 'jararaca';

export class ApiKeyGuard {
  readonly #apiKey: string;

  // Built per execution from its scope, like a controller: `config` is the config plugin's token.
  constructor({ config }: { config: { apiKey: string } }) {
    this.#apiKey = config.apiKey;
  }

  canActivate(execution: Execution): boolean {
    // Only routes use this guard; any other kind of execution is refused.
    if (!execution.is('http')) return false;
    const key = execution.details.request.headers['x-api-key'];
    if (key === undefined) throw new HttpError(401, 'send the API key in the x-api-key header');
    return key === this.#apiKey;
  }
}
