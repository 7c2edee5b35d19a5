import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockService } from 'nest-dapr';
import { describeLockConformance, startLockApp } from './lock-conformance';

const dir = mkdtempSync(join(tmpdir(), 'lock-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeLockConformance('lock.sqlite', () => ({ name: 'lockstore', type: 'lock.sqlite', metadata: { connectionString: join(dir, 'lock.db') } }), {
  extra: ({ lock, appId, resource }) => {
    it('keeps one row per held lock under the Dapr lock key, with owner and expiry', async () => {
      const r = resource();
      const before = Date.now();
      await lock().lock('lockstore', r, 'owner-x', 30);
      const db = new Database(join(dir, 'lock.db'), { readonly: true });
      try {
        const row = db.prepare('SELECT owner, expires_at FROM locks WHERE key = ?').get(`lock||${appId}||${r}`) as { owner: string; expires_at: number };
        expect(row.owner).toBe('owner-x');
        expect(row.expires_at).toBeGreaterThanOrEqual(before + 30_000);
        expect(row.expires_at).toBeLessThan(Date.now() + 30_001);
      } finally {
        db.close();
      }
    });
  },
});

describe('lock.sqlite across two apps on one file', () => {
  it('a lock taken by one app holds against another app (same keyPrefix) until released', async () => {
    const file = join(dir, 'shared.db');
    const md = { connectionString: file, keyPrefix: 'shared' };
    const a = await startLockApp('app-a', [{ name: 'l', type: 'lock.sqlite', metadata: md }]);
    const b = await startLockApp('app-b', [{ name: 'l', type: 'lock.sqlite', metadata: md }]);
    try {
      await expect(a.get(LockService).lock('l', 'job', 'a', 30)).resolves.toEqual({ success: true });
      await expect(b.get(LockService).lock('l', 'job', 'b', 30)).resolves.toEqual({ success: false });
      await expect(b.get(LockService).unlock('l', 'job', 'b')).resolves.toEqual({ status: 'LOCK_BELONGS_TO_OTHERS' });
      await expect(a.get(LockService).unlock('l', 'job', 'a')).resolves.toEqual({ status: 'SUCCESS' });
      await expect(b.get(LockService).lock('l', 'job', 'b', 30)).resolves.toEqual({ success: true });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
