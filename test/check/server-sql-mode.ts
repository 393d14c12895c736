import mysql from 'mysql2/promise';

/** The lock that keeps two test files from changing the shared server's mode at once. */
const LOCK = 'floe_test_global_sql_mode';

/** The mode to put back, while a window is open. */
let restore: { url: string; mode: string } | null = null;

async function setGlobalSqlMode(admin: mysql.Connection, mode: string): Promise<void> {
  await admin.query('set global sql_mode = ?', [mode]);
}

/**
 * Runs `act` while the shared MariaDB's GLOBAL sql_mode also has `mode`, as a server configured so
 * in its my.cnf would: every connection opened meanwhile (floe's check session, the extraction
 * job's) starts with it. The window is as short as `act`, held under a named lock so test files
 * do not overlap, and the mode before it is restored whatever `act` does (see also
 * {@link restoreGlobalSqlMode}).
 */
export async function withGlobalSqlMode<T>(url: string, mode: string, act: () => Promise<T>): Promise<T> {
  const admin = await mysql.createConnection(url);
  try {
    const [locked] = await admin.query<mysql.RowDataPacket[]>('select get_lock(?, 120) as got', [LOCK]);
    if (Number(locked[0]?.['got']) !== 1) throw new Error(`could not take the lock ${LOCK} on the test server`);
    try {
      const [rows] = await admin.query<mysql.RowDataPacket[]>('select @@global.sql_mode as mode');
      const before = String(rows[0]?.['mode']);
      restore = { url, mode: before };
      await setGlobalSqlMode(admin, [before, mode].filter((part) => part !== '').join(','));
      try {
        return await act();
      } finally {
        await setGlobalSqlMode(admin, before);
        restore = null;
      }
    } finally {
      await admin.query('select release_lock(?)', [LOCK]);
    }
  } finally {
    await admin.end();
  }
}

/** For afterAll: puts the mode back if a window is still open (its test timed out mid-act). */
export async function restoreGlobalSqlMode(): Promise<void> {
  if (restore === null) return;
  const admin = await mysql.createConnection(restore.url);
  try {
    await setGlobalSqlMode(admin, restore.mode);
    restore = null;
  } finally {
    await admin.end();
  }
}
