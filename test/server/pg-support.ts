// A PostgreSQL database of its own for a test: created on the local server (127.0.0.1:5432,
// or COACHDESK_TEST_POSTGRES), migrated, and dropped afterwards.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { migratePg, openPgPool } from '../../server/pg/schema.ts';

export const PG_ADMIN_URL = process.env.COACHDESK_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestPgDatabase {
  url: string;
  /** A migrated pool on it (a node's pool); more with pool(). */
  pool: pg.Pool;
  pool2(max?: number): pg.Pool;
  drop(): Promise<void>;
}

/**
 * Creates an empty database; its name and URL. Test files run in parallel: CREATE DATABASE
 * copies template1 and fails while another one is copying it, so it is tried again.
 */
export async function createPgDatabase(prefix = 'coachdesk_t'): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name}`);
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 30) throw error;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

export async function freshPgDatabase(prefix = 'coachdesk_t'): Promise<TestPgDatabase> {
  const { name, url: created } = await createPgDatabase(prefix);
  const url = new URL(created);
  const pools: pg.Pool[] = [];
  const open = (max = 4) => {
    const p = openPgPool(url.toString(), { max });
    pools.push(p);
    return p;
  };
  const pool = open();
  await migratePg(pool);
  return {
    url: url.toString(),
    pool,
    pool2: open,
    async drop() {
      await Promise.all(pools.map((p) => p.end().catch(() => {})));
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
