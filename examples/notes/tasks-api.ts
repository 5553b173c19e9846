// The tasks service as a provider: its generated client (./tasks-client), with the base URL from
// config and serviceFetch underneath, so every call is bounded by a timeout and by the current
// request (a client that leaves stops its calls), GETs and DELETEs are retried on 502/503/504 and
// network errors, and the incoming request id travels on in x-request-id.
import { serviceFetch } from 'jararaca';
import { createTasksClient, type TasksClient } from './tasks-client/index.js';

export function tasksApi({ config }: { config: { tasksUrl: string; tasksApiKey: string } }): TasksClient {
  return createTasksClient({
    baseUrl: config.tasksUrl,
    // Sent with every call; only DELETE needs it (its `security` in the tasks service's document).
    headers: { 'x-api-key': config.tasksApiKey },
    fetch: serviceFetch({ timeoutMs: 3000, retries: 2 }),
  });
}
