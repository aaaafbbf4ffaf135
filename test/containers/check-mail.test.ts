import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { ROOT } from '../support/paths.js';
import { Sandbox } from '../support/sandbox.js';
import { which } from '../support/tools.js';

const script = path.join(ROOT, 'scripts', 'containers', 'check-mail.sh');
const MESSAGE_ID = '<outbox-41.1733400000000@crm.test>';

interface Scenario {
  /** docker inspect's answer for the worker: "status restarts cmd". */
  worker?: string;
  /** Whether the catcher lists the message. */
  arrives?: boolean;
  /** The outbox row's status and Message-ID. */
  row?: string;
}

/**
 * check-mail.sh against fakes: docker (compose ps/exec, inspect) answers like a running
 * project, the SQL it sends to the db container is logged, curl plays the mail catcher.
 */
function setup(t: TestContext, s: Scenario = {}) {
  const box = new Sandbox(t);
  for (const tool of ['node', 'date', 'sleep']) fs.symlinkSync(which(tool)!, path.join(box.bin, tool));
  const row = s.row ?? `sent\t${MESSAGE_ID}`;
  box.fake('docker', `
    case "$*" in
      'compose ps -q worker') echo c0ffee ;;
      inspect*) echo '${s.worker ?? 'running 0 ["node","dist/cli/main.js","worker"]'}' ;;
      'compose exec -T web node dist/cli/main.js statements --email') printf 'Queued 1 statement e-mail.\\nqueued             1\\n' ;;
      'compose exec -T db sh -c '*)
        q="$(cat)"; printf '%s\\n' "$q" >>"$FAKE_DIR/sql.log"
        if [[ "$q" =~ email=\\'([^\\']+)\\' ]]; then printf '%s' "\${BASH_REMATCH[1]}" >"$FAKE_DIR/to"; fi
        case "$q" in
          'SELECT status, message_id'*) printf '%s\\n' '${row}' ;;
          'SELECT COUNT(*) FROM outbox_worker'*) echo 1 ;;
        esac ;;
      *) echo "unexpected docker $*" >&2; exit 3 ;;
    esac`);
  box.fake('curl', s.arrives === false
    ? 'echo "[]"'
    : `printf '[{"envelope":{"to":["%s"]},"messageId":"${MESSAGE_ID}","subject":"Your statement","attachments":[{"contentType":"application/pdf","size":3467}]}]' "$(cat "$FAKE_DIR/to")"`);
  const sql = () => (fs.existsSync(path.join(box.dir, 'sql.log')) ? fs.readFileSync(path.join(box.dir, 'sql.log'), 'utf8').trim().split('\n') : []);
  return { box, sql, env: { COMPOSE: 'docker compose', MAILCATCHER_URL: 'http://127.0.0.1:1080', MAIL_WAIT: '2' } };
}

test('check-mail.sh passes when the queued statement arrives with its PDF under the outbox row\'s Message-ID, and removes the address again', async (t) => {
  const { box, sql, env } = setup(t);
  const result = await box.run(script, env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /'Your statement' queued by crm statements --email, sent by the worker, at the mail catcher with application\/pdf:3467 in \d+ ms/);
  const queries = sql();
  assert.match(queries[0] ?? '', /^UPDATE account SET email='check-\d+-\d+@customer\.test' WHERE acctid='ACCT100'$/);
  assert.equal(queries.at(-1), "UPDATE account SET email=NULL WHERE acctid='ACCT100'");
  assert.ok(box.commandLines().some((l) => l === 'curl -sS --max-time 5 http://127.0.0.1:1080/messages'));
});

test('check-mail.sh fails, naming the outbox row, when nothing arrives in MAIL_WAIT seconds, and still removes the address', async (t) => {
  const { box, sql, env } = setup(t, { arrives: false });
  const result = await box.run(script, env);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /no message for check-\d+-\d+@customer\.test at the mail catcher after 2s; outbox: /);
  assert.equal(sql().at(-1), "UPDATE account SET email=NULL WHERE acctid='ACCT100'");
});

test('check-mail.sh fails when the outbox row is not sent under the Message-ID the catcher saw', async (t) => {
  for (const row of [`pending\t${MESSAGE_ID}`, 'sent\t<another@crm.test>']) {
    const { box, env } = setup(t, { row });
    const result = await box.run(script, env);
    assert.equal(result.code, 1, row);
    assert.match(result.stderr, /outbox row '.*', the mail catcher got Message-ID/, row);
  }
});

test('check-mail.sh queues nothing when the worker is not running steadily', async (t) => {
  const { box, sql, env } = setup(t, { worker: 'restarting 3 ["node","dist/cli/main.js","worker"]' });
  const result = await box.run(script, env);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /worker state, restarts, command: restarting 3/);
  assert.deepEqual(sql(), []);
});
