/**
 * The read router on its own: which handle a lag-tolerant read gets. The
 * primary and the replicas are separate in-memory SQLite databases, each with
 * the heartbeat table; the test plays replication by copying a beat into a
 * replica, and moves the clock. Real replication (MariaDB, PostgreSQL) is
 * tested in the integration ring.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import { pino } from 'pino';
import { up as createHeartbeat } from '../../src/migrations/2026-12-06T1200-replica-heartbeat.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import { createReadRouting, replicaRouting } from '../../src/platform/db/read-routing.js';
import { memoryRecentWriters } from '../../src/platform/db/recent-writers.js';
import type { ReplicaHeartbeatTables } from '../../src/platform/db/replica-heartbeat.table.js';
import { ReplicaSet, type ReplicaSetOptions } from '../../src/platform/db/replicas.js';

type Db = Kysely<ReplicaHeartbeatTables>;
const opened: Db[] = [];
after(() => Promise.all(opened.map((db) => db.destroy())));

async function memoryDatabase(): Promise<Db> {
  const db = createDatabase<ReplicaHeartbeatTables>(parseDatabaseUrl('sqlite::memory:'), { poolSize: 1, connectTimeoutMs: 1000 });
  opened.push(db);
  await createHeartbeat(db as Kysely<unknown>);
  return db;
}

/** What replication would do: the replica now holds `beatAtMs`. */
const replicate = (replica: Db, beatAtMs: number) => replica.updateTable('replica_heartbeat').set({ beat_at_ms: beatAtMs }).where('id', '=', 1).execute();
const beatOn = async (db: Db) => Number((await db.selectFrom('replica_heartbeat').select('beat_at_ms').executeTakeFirstOrThrow()).beat_at_ms);

/** A clock the test moves. */
function clock(start = 1_800_000_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => void (time += ms) };
}

/** The log lines, so a test can count them. */
function recordingLogger() {
  const lines: { level: string; message: string }[] = [];
  return { lines, logger: { info: (_fields: object, message?: string) => void lines.push({ level: 'info', message: message ?? '' }), warn: (_fields: object, message?: string) => void lines.push({ level: 'warn', message: message ?? '' }) } as unknown as ReplicaSetOptions['logger'] };
}

async function setUp(replicaCount: number, maxLagMs = 5000) {
  const primary = await memoryDatabase();
  const replicas = await Promise.all(Array.from({ length: replicaCount }, () => memoryDatabase()));
  const time = clock();
  const log = recordingLogger();
  const set = new ReplicaSet(primary, replicas.map((db, index) => ({ url: `mysql://crm@replica-${index + 1}:3306/crm`, db })), { maxLagMs, now: time.now, logger: log.logger, probeTimeoutMs: 300 });
  return { primary, replicas, time, log, set };
}

describe('ReplicaSet: lag from the heartbeat', () => {
  test('each round writes the heartbeat on the primary with the clock, and reads each replica’s lag from its own copy', async () => {
    const { primary, replicas, time, set } = await setUp(1);
    await replicate(replicas[0]!, time.now() - 1200);
    await set.checkNow();
    assert.equal(await beatOn(primary), time.now(), 'the primary holds this round’s beat');
    assert.deepEqual(set.states(), [{ url: 'mysql://crm@replica-1:3306/crm', state: 'healthy', lagMs: 1200 }]);
  });

  test('until the first round, every read goes to the primary', async () => {
    const { primary, set } = await setUp(1);
    assert.equal(set.pick(), primary);
    assert.equal(set.states()[0]!.state, 'unknown');
  });

  test('a replica further behind than REPLICA_MAX_LAG_MS is skipped, and taken back once it catches up', async () => {
    const { primary, replicas, time, set } = await setUp(1, 5000);
    const [replica] = replicas as [Db];
    await replicate(replica, time.now() - 5000);
    await set.checkNow();
    assert.equal(set.pick(), replica, 'exactly at the limit still serves');

    await replicate(replica, time.now() - 5001);
    await set.checkNow();
    assert.deepEqual(set.states()[0], { url: 'mysql://crm@replica-1:3306/crm', state: 'lagging', lagMs: 5001 });
    assert.equal(set.pick(), primary);

    // Replication stalls: the clock moves, the replica's copy does not.
    time.advance(10_000);
    await set.checkNow();
    assert.equal(set.states()[0]!.lagMs, 15_001);
    assert.equal(set.pick(), primary);

    await replicate(replica, await beatOn(primary));
    await set.checkNow();
    assert.equal(set.states()[0]!.state, 'healthy');
    assert.equal(set.pick(), replica);
  });

  test('a replica that errors is unreachable and skipped, without an error to the reader; back when it answers', async () => {
    const { primary, replicas, time, set } = await setUp(1);
    const [replica] = replicas as [Db];
    await replicate(replica, time.now());
    await set.checkNow();
    assert.equal(set.pick(), replica);

    await sql`drop table replica_heartbeat`.execute(replica);
    await set.checkNow();
    assert.deepEqual(set.states()[0], { url: 'mysql://crm@replica-1:3306/crm', state: 'unreachable', lagMs: null });
    assert.equal(set.pick(), primary);

    await createHeartbeat(replica as Kysely<unknown>);
    await replicate(replica, time.now());
    await set.checkNow();
    assert.equal(set.states()[0]!.state, 'healthy');
    assert.equal(set.pick(), replica);
  });

  test('a replica that accepts connections but never answers is unreachable within the probe’s time', async (t) => {
    // A server that takes the TCP connection and says nothing: the MySQL handshake never comes.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const { port } = silent.address() as AddressInfo;
    // Loaded before the clock starts: loading the driver on a busy machine is not the probe's time.
    await import('mysql2');
    const primary = await memoryDatabase();
    const mute = createDatabase<ReplicaHeartbeatTables>(parseDatabaseUrl(`mysql://root@127.0.0.1:${port}/crm`), { poolSize: 1, connectTimeoutMs: 5000, acquireTimeoutMs: 5000 });
    const time = clock();
    const set = new ReplicaSet(primary, [{ url: `mysql://root@127.0.0.1:${port}/crm`, db: mute }], { maxLagMs: 5000, now: time.now, logger: recordingLogger().logger, probeTimeoutMs: 300 });
    const started = performance.now();
    await set.checkNow();
    const took = performance.now() - started;
    assert.equal(set.states()[0]!.state, 'unreachable');
    assert.ok(took < 2500, `the round ended after ${Math.round(took)} ms (probe 300 ms), well before the 5 s connect timeout`);
    assert.equal(set.pick(), primary);
    for (const socket of sockets) socket.destroy();
    await set.close();
  });

  test('healthy replicas are used in turn; a lagging one drops out of the turn', async () => {
    const { primary, replicas, time, set } = await setUp(3);
    for (const replica of replicas) await replicate(replica, time.now() - 100);
    await set.checkNow();
    const picks = Array.from({ length: 6 }, () => set.pick());
    assert.deepEqual(
      picks.map((db) => replicas.indexOf(db)),
      [0, 1, 2, 0, 1, 2],
    );

    await replicate(replicas[1]!, time.now() - 60_000);
    await set.checkNow();
    const after = Array.from({ length: 4 }, () => replicas.indexOf(set.pick()));
    assert.deepEqual([...new Set(after)].sort(), [0, 2]);
    assert.ok(!Array.from({ length: 4 }, () => set.pick()).includes(primary));
  });

  test('a change of state is logged once, not on every round', async () => {
    const { replicas, time, set, log } = await setUp(1);
    const [replica] = replicas as [Db];
    await replicate(replica, time.now() - 60_000);
    for (let round = 0; round < 3; round++) await set.checkNow();
    await replicate(replica, time.now());
    for (let round = 0; round < 3; round++) await set.checkNow();
    assert.deepEqual(
      log.lines.map(({ level }) => level),
      ['warn', 'info'],
    );
    assert.match(log.lines[0]!.message, /replica-1.*lagging/);
  });

  test('close() stops the rounds and closes the replicas’ pools, not the primary’s', async () => {
    const { primary, replicas, set } = await setUp(1);
    await set.start();
    await set.close();
    await assert.rejects(sql`select 1`.execute(replicas[0]!));
    await sql`select 1`.execute(primary);
  });
});

describe('read-your-writes', () => {
  test('a principal’s reads go to the primary for the window after its write, then back to the replica', async () => {
    const { primary, replicas, time, set } = await setUp(1);
    const [replica] = replicas as [Db];
    await replicate(replica, time.now());
    await set.checkNow();
    const routing = replicaRouting(primary, set, memoryRecentWriters(10_000, time.now));

    assert.equal(await routing.readsFor('session:ann'), replica);
    await routing.wrote('session:ann');
    assert.equal(await routing.readsFor('session:ann'), primary, 'just wrote: the primary');
    assert.equal(await routing.readsFor('token:7'), replica, 'another principal is not affected');
    assert.equal(await routing.readsFor(null), replica, 'a batch job has no window');

    time.advance(9_999);
    assert.equal(await routing.readsFor('session:ann'), primary, 'still within the window');
    time.advance(1);
    assert.equal(await routing.readsFor('session:ann'), replica, 'the window is over');
  });

});

describe('without DATABASE_REPLICA_URL', () => {
  test('every read is the primary’s and nothing runs: no heartbeat, no Redis, no replica state', async () => {
    const primary = await memoryDatabase();
    // Any use of Redis fails the test.
    const untouchable = new Proxy({}, { get: (_target, name) => assert.fail(`Redis was used (${String(name)})`) }) as unknown as Redis;
    const routing = createReadRouting(primary, { replicas: [], maxLagMs: 5000, readYourWritesMs: 10_000, pool: { poolSize: 1, connectTimeoutMs: 1000 } }, untouchable, pino({ level: 'silent' }));
    assert.equal(routing.routed, false);
    await routing.start();
    await routing.checkNow();
    await routing.wrote('session:ann');
    assert.equal(await routing.readsFor('session:ann'), primary);
    assert.equal(await routing.readsFor(null), primary);
    assert.deepEqual(routing.replicas(), []);
    assert.equal(await beatOn(primary), 0, 'no heartbeat was written');
    await routing.close();
    await sql`select 1`.execute(primary);
  });
});
