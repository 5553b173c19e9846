// The broker answered but refused us: an unknown vhost (amqplib says only "Expected
// ConnectionOpenOk; got <ConnectionClose channel:0>") or a wrong user or password. Retrying
// cannot fix either, so start fails at once saying what to change.
import { JararacaError, redactUrl } from 'jararaca';

export function refusedError(err: unknown, url: string): JararacaError | undefined {
  const message = err instanceof Error ? err.message : '';
  let vhost = '/';
  let user = 'guest';
  try {
    const u = new URL(url);
    vhost = decodeURIComponent(u.pathname.slice(1)) || '/';
    user = decodeURIComponent(u.username) || 'guest';
  } catch {
    /* the URL was checked at setup */
  }
  const where = redactUrl(url);
  if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(message) || /NOT_ALLOWED|access to vhost/i.test(message)) {
    return new JararacaError(
      'JRR_BUS_REFUSED',
      `the message broker at ${where} refused virtual host '${vhost}': it does not exist or user '${user}' has no permission on it. ` +
        `Create it (rabbitmqctl add_vhost ${vhost}; rabbitmqctl set_permissions -p ${vhost} ${user} ".*" ".*" ".*") or fix the path of the URL (amqp://host:5672/<vhost>; %2F for '/')`,
      { cause: err },
    );
  }
  if (/ACCESS.REFUSED|403/.test(message)) {
    return new JararacaError('JRR_BUS_REFUSED', `the message broker at ${where} refused the login of user '${user}': check the user and password in the URL`, { cause: err });
  }
  return undefined;
}
